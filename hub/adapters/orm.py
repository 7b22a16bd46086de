"""Tables and the imperative mapping of the domain classes onto them (SQLAlchemy 2)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import registry, relationship

from hub.domain.model import Location, Order, OrderLine, Pick, PickTask, Shipment, Sku
from hub.domain.timeline import TimelineEvent

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})
mapper_registry = registry(metadata=metadata)
TS = DateTime(timezone=True)

skus = Table(
    "skus", metadata,
    Column("sku", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("barcode", String(64), nullable=False, unique=True),
    Column("unit_weight_g", Float, nullable=False),
    Column("reorder_level", Integer, nullable=False, server_default="0"),
)

locations = Table(
    "locations", metadata,
    Column("code", String(32), primary_key=True),
    Column("zone", String(32), nullable=False),
    Column("pick_sequence", Integer, nullable=False, server_default="0"),
)

stock_balances = Table(
    "stock_balances", metadata,
    Column("sku", String(64), ForeignKey("skus.sku"), primary_key=True),
    Column("location", String(32), ForeignKey("locations.code"), primary_key=True),
    Column("on_hand", Integer, nullable=False),
    Column("reserved", Integer, nullable=False, server_default="0"),
    CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
    CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
)

stock_movements = Table(
    "stock_movements", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("sku", String(64), nullable=False),
    Column("location", String(32), nullable=False),
    Column("kind", String(16), nullable=False),  # receive reserve release pick adjust return
    Column("qty", Integer, nullable=False),
    Column("order_id", String(40)),
    Column("ref", String(200)),
    Column("at", TS, nullable=False),
    Index("ix_stock_movements_sku_location", "sku", "location"),
)

orders = Table(
    "orders", metadata,
    Column("id", String(40), primary_key=True),
    Column("channel", String(32), nullable=False),
    Column("channel_ref", String(100), nullable=False),
    Column("status", String(16), nullable=False),
    Column("payment_status", String(16), nullable=False),
    Column("ship_to", JSON, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("total", Numeric(14, 2), nullable=False),
    Column("customer_email", String(254)),
    Column("service_level", String(32), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("promised_by", TS),
    Column("version", Integer, nullable=False),
    Column("pack_device_id", String(64)),
    UniqueConstraint("channel", "channel_ref", name="uq_orders_channel_ref"),
    Index("ix_orders_status", "status"),
)

order_lines = Table(
    "order_lines", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", String(40), ForeignKey("orders.id"), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("sku", String(64), ForeignKey("skus.sku"), nullable=False),
    Column("qty", Integer, nullable=False),
    Column("unit_price", Numeric(14, 2), nullable=False),
    Column("qty_picked", Integer, nullable=False, server_default="0"),
    Column("qty_short", Integer, nullable=False, server_default="0"),
    CheckConstraint("qty > 0", name="qty_positive"),
)

timeline_events = Table(
    "timeline_events", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("order_id", String(40), ForeignKey("orders.id"), nullable=False),
    Column("step", Integer, nullable=False),
    Column("name", String(40), nullable=False),
    Column("at", TS, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("outcome", String(40), nullable=False),
    Column("details", JSON, nullable=False),
    Index("ix_timeline_events_order_id_at", "order_id", "at"),
    Index("ix_timeline_events_step", "step"),
)

shipments = Table(
    "shipments", metadata,
    Column("id", String(40), primary_key=True),
    Column("order_id", String(40), ForeignKey("orders.id"), nullable=False, index=True),
    Column("courier", String(32), nullable=False),
    Column("service", String(64), nullable=False),
    Column("tracking_number", String(64), nullable=False, unique=True),
    Column("weight_g", Float, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("label_printed_at", TS),
)

pick_tasks = Table(
    "pick_tasks", metadata,
    Column("id", String(40), primary_key=True),
    Column("order_id", String(40), ForeignKey("orders.id"), nullable=False, index=True),
    Column("zone", String(32), nullable=False),
    Column("device_id", String(64)),
    Column("colour", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", TS, nullable=False),
)

picks = Table(
    "picks", metadata,
    Column("id", String(40), primary_key=True),
    Column("task_id", String(40), ForeignKey("pick_tasks.id"), nullable=False, index=True),
    Column("sku", String(64), nullable=False),
    Column("location", String(32), nullable=False),
    Column("qty", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("qty_picked", Integer, nullable=False, server_default="0"),
    Column("qty_short", Integer, nullable=False, server_default="0"),
    Column("status", String(16), nullable=False),
)

devices = Table(
    "devices", metadata,
    Column("device_id", String(64), primary_key=True),
    Column("site", String(64), nullable=False),
    Column("role", String(16)),
    Column("zone", String(32)),
    Column("state", String(16), nullable=False),
    Column("bdseq", Integer, nullable=False, server_default="0"),
    Column("locations", JSON, nullable=False),
    Column("peripherals", JSON, nullable=False),
    Column("version", String(32)),
    Column("last_seen", TS, nullable=False),
    Column("outbox_depth", Integer),
)

inbox = Table(
    "inbox", metadata,
    Column("msg_id", String(64), primary_key=True),
    Column("device_id", String(64), nullable=False),
    Column("type", String(32), nullable=False),
    Column("received_at", TS, nullable=False),
)

outbox = Table(
    "outbox", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("kind", String(16), nullable=False),  # mqtt | notify | channel_stock | channel_tracking
    Column("topic", String(200), nullable=False),
    Column("payload", Text, nullable=False),
    Column("order_id", String(40)),
    Column("created_at", TS, nullable=False),
    Column("dispatched_at", TS),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("not_before", TS),  # a failed send waits for its retry time (backoff)
    Index("ix_outbox_pending", "dispatched_at", "id"),
)

api_keys = Table(
    "api_keys", metadata,
    Column("id", String(16), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("scopes", JSON, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("revoked_at", TS),
    Column("channel", String(32)),  # a channel key bound to one sales channel
    Column("expires_at", TS),  # end of a rotated-out key's grace period
)

counters = Table(
    "counters", metadata,
    Column("name", String(32), primary_key=True),
    Column("value", BigInteger, nullable=False),
)


def start_mappers() -> None:
    """Map the domain classes once per process (idempotent)."""
    if getattr(start_mappers, "done", False):
        return
    mapper_registry.map_imperatively(Sku, skus)
    mapper_registry.map_imperatively(Location, locations)
    mapper_registry.map_imperatively(OrderLine, order_lines)
    mapper_registry.map_imperatively(TimelineEvent, timeline_events)
    mapper_registry.map_imperatively(Shipment, shipments)
    mapper_registry.map_imperatively(Pick, picks)
    mapper_registry.map_imperatively(PickTask, pick_tasks, properties={
        "picks": relationship(Pick, order_by=picks.c.seq, cascade="all, delete-orphan"),
    })
    mapper_registry.map_imperatively(Order, orders, properties={
        "lines": relationship(OrderLine, order_by=order_lines.c.line_no,
                              cascade="all, delete-orphan", lazy="selectin"),
    }, version_id_col=orders.c.version)
    start_mappers.done = True  # type: ignore[attr-defined]
from hub.adapters import orm_channels  # noqa: E402, F401  (sales channel tables)
from hub.adapters import orm_couriers as _orm_couriers  # noqa: E402,F401
from hub.adapters import orm_customer as _orm_customer  # noqa: E402,F401
from hub.adapters import orm_printers as _orm_printers  # noqa: E402,F401
from hub.adapters import orm_waves as _orm_waves  # noqa: E402,F401
