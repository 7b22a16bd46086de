"""Tables of the sales channels: listing mappings, the quarantine, webhook deliveries already
handled, poll cursors, and the channel's view of each order (line ids for pushes)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    true,
)

from hub.adapters.orm import TS, metadata

channel_listings = Table(
    "channel_listings", metadata,
    Column("channel", String(32), primary_key=True),
    Column("listing_key", String(100), primary_key=True),  # listing id or channel SKU
    Column("sku", String(64), ForeignKey("skus.sku"), nullable=False),
    Column("created_at", TS, nullable=False),
)

channel_quarantine = Table(
    "channel_quarantine", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(32), nullable=False),
    Column("channel_ref", String(100), nullable=False),
    Column("payload", Text, nullable=False),  # the channel's JSON as received
    Column("reason", Text, nullable=False),
    Column("status", String(16), nullable=False),  # open | resolved
    Column("attempts", Integer, nullable=False, server_default="1"),
    Column("order_id", String(40)),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Index("ux_channel_quarantine_ref", "channel", "channel_ref", unique=True),
)

channel_deliveries = Table(
    "channel_deliveries", metadata,
    Column("channel", String(32), primary_key=True),
    Column("delivery_id", String(100), primary_key=True),
    Column("received_at", TS, nullable=False),
)

channel_cursors = Table(
    "channel_cursors", metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(100), nullable=False),
    Column("updated_at", TS, nullable=False),
)

channel_orders = Table(
    "channel_orders", metadata,
    Column("channel", String(32), primary_key=True),
    Column("channel_ref", String(100), primary_key=True),
    Column("lines", JSON, nullable=False),  # [{line_ref, sku, qty, line_total}]
    Column("channel_updated_at", TS),
    Column("received_at", TS, nullable=False),
)

# One row per channel listing whose stock we push (the pushes themselves are outbox rows of
# kind channel_stock): its buffer, the value last computed for it (desired), the value the
# channel last acknowledged (pushed), and the last failure.
channel_stock = Table(
    "channel_stock", metadata,
    Column("channel", String(32), primary_key=True),
    Column("listing_key", String(100), primary_key=True),  # inventory item, product, SKU
    Column("sku", String(64), ForeignKey("skus.sku"), nullable=False),
    Column("buffer", Integer, nullable=False, server_default="0"),
    Column("desired", Integer, nullable=False, server_default="0"),
    Column("pushed", Integer),
    Column("dirty", Boolean, nullable=False, server_default=true()),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("updated_at", TS, nullable=False),
)
