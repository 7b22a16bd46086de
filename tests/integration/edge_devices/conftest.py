from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def no_thread_left_behind() -> Iterator[None]:
    """Every test must stop the threads it started."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 3.0
    while True:
        leftovers = [t.name for t in threading.enumerate() if t not in before]
        if not leftovers or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert not leftovers, leftovers
