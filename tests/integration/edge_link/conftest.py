"""Fixtures of the edge link tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from tests.integration.edge_link.edge_hub_double import TestHub


@pytest.fixture
def hub(mosquitto_url: str, unique_site: str) -> Iterator[TestHub]:
    test_hub = TestHub(mosquitto_url, unique_site)
    yield test_hub
    test_hub.close()


@pytest.fixture(autouse=True)
def no_thread_leaks() -> Iterator[None]:
    """Every thread a test starts (links, agents, drivers, simulators) is gone after it."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not left:
            return
        time.sleep(0.05)
    raise AssertionError(f"threads left running: {[t.name for t in left]}")
