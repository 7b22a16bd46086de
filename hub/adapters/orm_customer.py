"""Tables of the customer side: every customer message (one row per idempotency key, so
an event is never messaged twice), the addresses that opted out of messages, complaints,
returns (RMAs) and refunds."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Integer, Numeric, String, Table, Text

from hub.adapters.orm import metadata

TS = DateTime(timezone=True)

customer_messages = Table(
    "customer_messages", metadata,
    Column("key", String(200), primary_key=True),  # order + template + event
    Column("order_id", String(40), index=True),
    Column("template", String(40), nullable=False),
    Column("recipient", String(320)),
    Column("channel", String(32), nullable=False),
    Column("language", String(8), nullable=False),
    Column("context", JSON, nullable=False),
    # queued, sent, suppressed (opted out / no address), failed (gave up after retries)
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", TS),
    Column("last_error", Text),
    Column("message_id", String(250)),
    Column("created_at", TS, nullable=False),
    Column("sent_at", TS),
)

message_opt_outs = Table(
    "message_opt_outs", metadata,
    Column("email", String(320), primary_key=True),  # lower-cased
    Column("reason", String(200)),
    Column("created_at", TS, nullable=False),
)

complaints = Table(
    "complaints", metadata,
    Column("id", String(40), primary_key=True),
    Column("order_id", String(40), nullable=False, index=True),
    Column("reason", String(32), nullable=False),
    Column("lines", JSON, nullable=False),  # [{line, sku, qty}]
    Column("note", Text),
    Column("photos", JSON, nullable=False),  # URLs
    Column("cause", JSON, nullable=False),  # hub.domain.complaints.Cause.as_dict()
    Column("solution", String(16)),
    Column("created_at", TS, nullable=False),
)

returns = Table(
    "returns", metadata,
    Column("rma", String(40), primary_key=True),  # printed as the parcel's barcode
    Column("order_id", String(40), nullable=False, index=True),
    Column("complaint_id", String(40)),
    Column("lines", JSON, nullable=False),  # [{line, sku, qty, restocked, written_off}]
    Column("status", String(16), nullable=False),  # authorised, received, inspected
    Column("courier", String(32)),
    Column("tracking_number", String(64)),
    Column("cause", JSON, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("received_at", TS),
    Column("received_by", String(100)),
    Column("inspected_at", TS),
)

refunds = Table(
    "refunds", metadata,
    Column("id", String(40), primary_key=True),
    Column("order_id", String(40), nullable=False, index=True),
    Column("rma", String(40), unique=True),  # one refund per return
    Column("complaint_id", String(40)),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("method", String(16), nullable=False),  # stripe | manual
    Column("provider_ref", String(100)),
    Column("created_at", TS, nullable=False),
)
