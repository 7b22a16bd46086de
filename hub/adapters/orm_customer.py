"""Tables of the customer side: every customer message (one row per idempotency key, so
an event is never messaged twice) and the addresses that opted out of messages."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Integer, String, Table, Text

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
