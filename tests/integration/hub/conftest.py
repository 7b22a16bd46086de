"""A hub on a real database (SQLite and PostgreSQL) with a small warehouse loaded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hub.bootstrap import Hub, bootstrap
from hub.config import Settings
from hub.domain import commands

SKUS = [("MUG", "Mug", "5012345678900", 340.0, 5), ("TEE", "T-shirt", "5012345678917", 180.0, 0)]
LOCATIONS = [("A01-01-A", "A", 1), ("A01-02-A", "A", 2), ("B01-01-A", "B", 1)]
ADDRESS = {"name": "Ada Lovelace", "line1": "12 St James's Square", "city": "London",
           "postcode": "SW1Y 4JH", "country": "GB"}


@pytest.fixture
def hub(database_url: str) -> Iterator[Hub]:
    instance = bootstrap(Settings(database_url=database_url, site="test"))
    yield instance
    instance.stop()


@pytest.fixture
def warehouse(hub: Hub) -> Hub:
    """MUG: 3 at A01-01-A and 2 at B01-01-A; TEE: 10 at A01-02-A."""
    for sku in SKUS:
        hub.handle(commands.AddSku(*sku))
    for location in LOCATIONS:
        hub.handle(commands.AddLocation(*location))
    hub.handle(commands.ReceiveStock("MUG", "A01-01-A", 3))
    hub.handle(commands.ReceiveStock("MUG", "B01-01-A", 2))
    hub.handle(commands.ReceiveStock("TEE", "A01-02-A", 10))
    return hub


def order(ref: str, *lines: tuple[str, int], payment: str = "paid",
          channel: str = "web") -> commands.CreateOrder:
    return commands.CreateOrder(channel=channel, channel_ref=ref,
                                lines=[commands.NewLine(sku, qty) for sku, qty in lines],
                                ship_to=ADDRESS, payment_status=payment)
