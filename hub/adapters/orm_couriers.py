"""Tables of the courier area: the booking ledger (one row per parcel, the idempotency key)
with the courier's label, and the end-of-day manifests with their scan-outs."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Float, LargeBinary, String, Table, Text

from hub.adapters.orm import metadata

TS = DateTime(timezone=True)

courier_bookings = Table(
    "courier_bookings", metadata,
    Column("parcel_id", String(64), primary_key=True),
    Column("order_id", String(64), nullable=False, index=True),
    Column("courier", String(32), nullable=False),
    Column("status", String(16), nullable=False),  # pending, booked, failed, cancelled
    Column("service", String(64)),
    Column("tracking_number", String(64), index=True),
    Column("courier_ref", String(64)),
    Column("label", LargeBinary),
    Column("label_format", String(8)),
    Column("cost", Float),
    Column("why", Text),
    Column("error", Text),
    Column("attempts", Float, nullable=False, default=0),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)

courier_manifests = Table(
    "courier_manifests", metadata,
    Column("id", String(64), primary_key=True),
    Column("courier", String(32), nullable=False, index=True),
    Column("day", String(10), nullable=False),
    Column("reference", String(64)),
    Column("tracking_numbers", JSON, nullable=False),
    Column("scanned", JSON, nullable=False),
    Column("status", String(16), nullable=False),  # open, closed
    Column("created_at", TS, nullable=False),
    Column("closed_at", TS),
)
