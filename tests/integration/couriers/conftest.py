from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.couriers.replay import ReplayServer, replay_server

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "samples" / "couriers"


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def keys_within(ours: Any, theirs: Any, path: str = "$") -> list[str]:
    """Paths in our request that the published request does not have."""
    stray: list[str] = []
    if isinstance(ours, dict) and isinstance(theirs, dict):
        for key, value in ours.items():
            if key not in theirs:
                stray.append(f"{path}.{key}")
            else:
                stray += keys_within(value, theirs[key], f"{path}.{key}")
    elif isinstance(ours, list) and isinstance(theirs, list) and theirs:
        for i, item in enumerate(ours):
            stray += keys_within(item, theirs[0], f"{path}[{i}]")
    return stray


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with replay_server() as state:
        yield state
