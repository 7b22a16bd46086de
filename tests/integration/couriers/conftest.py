from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.bootstrap import Hub, bootstrap
from hub.config import Settings
from hub.domain import commands
from tests.integration.couriers.flow import CARD
from tests.integration.couriers.replay import ReplayServer, replay_server
from tests.integration.hub.conftest import LOCATIONS, SKUS

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


@pytest.fixture
def hub(database_url: str, tmp_path: Path, server: ReplayServer) -> Iterator[Hub]:
    card = tmp_path / "rates.yaml"
    card.write_text(CARD)
    instance = bootstrap(Settings(
        database_url=database_url, site="test", courier_rates=str(card),
        couriers={"royalmail": {"base_url": server.url}},
        courier_ledger_url=f"sqlite:///{tmp_path / 'ledger.sqlite'}",
        tracking_formats_dir=str(SAMPLES),
        ship_from={"name": "Dock", "line1": "1 Way", "city": "Leeds", "country": "GB"}))
    for sku in SKUS:
        instance.handle(commands.AddSku(*sku))
    for location in LOCATIONS:
        instance.handle(commands.AddLocation(*location))
    instance.handle(commands.ReceiveStock("MUG", "A01-01-A", 3))
    instance.handle(commands.ReceiveStock("TEE", "A01-02-A", 10))
    yield instance
    instance.stop()
