"""What each pack bench's label printer speaks, as its agent reported it in its birth
message: the hub converts courier labels for it (hub/service_layer/bench_labels.py)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Integer, String, Table

from hub.adapters.orm import metadata

bench_printers = Table(
    "bench_printers", metadata,
    Column("device_id", String(64), primary_key=True),
    Column("language", String(16), nullable=False),  # escpos, zpl
    Column("dpi", Integer, nullable=False),
    Column("width_dots", Integer, nullable=False),
    Column("formats", JSON, nullable=False),  # courier label formats it prints
    Column("reported_at", DateTime(timezone=True), nullable=False),
)
