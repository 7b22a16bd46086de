"""Commands of the sales channels and payments."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hub.domain.commands import Command


@dataclass(frozen=True)
class IngestChannelOrder(Command):
    """A channel's order JSON as received (webhook body, poll result), parsed by its adapter.

    ``delivery_id`` (webhook id, poll page item) makes a replay of the same delivery harmless.
    """

    channel: str
    payload: str
    delivery_id: str | None = None


@dataclass(frozen=True)
class ImportCsvOrders(Command):
    content: str
    channel: str = "csv"


@dataclass(frozen=True)
class ReprocessQuarantined(Command):
    entry_id: int


@dataclass(frozen=True)
class MapListing(Command):
    """Map a channel listing id (or a channel SKU) to one of our SKUs."""

    channel: str
    listing_key: str
    sku: str


@dataclass(frozen=True)
class RecordPayment(Command):
    """A payment gateway's word on an order: succeeded, failed or refunded."""

    order_id: str
    outcome: str
    provider: str
    provider_ref: str
    event_id: str
    amount: Decimal | None = None
    currency: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class TrackChannelStock(Command):
    """Push available-to-sell of ``sku`` to a channel listing, less a safety ``buffer``."""

    channel: str
    listing_key: str
    sku: str
    buffer: int = 0
