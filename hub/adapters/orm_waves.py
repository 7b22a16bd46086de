"""Tables of stored waves: the wave, its picker trips, the put-to-light cart assignment (which
tote slot takes which order) and each trip's picks in walking order.

A wave points at the orders' own pick tasks and picks (``picks.id``): confirming a pick is
recorded once, on the pick, and the wave's progress is read from there.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Float, ForeignKey, Index, Integer, String, Table

from hub.adapters.orm import metadata

TS = DateTime(timezone=True)

waves = Table(
    "waves", metadata,
    Column("id", String(40), primary_key=True),
    Column("state", String(16), nullable=False),  # open, picking, done
    Column("zone", String(32)),  # the zone asked for; None: every zone of the orders
    Column("totes", Integer, nullable=False),
    Column("units_per_trip", Integer),
    Column("orders", Integer, nullable=False),
    Column("picks", Integer, nullable=False),
    Column("units", Integer, nullable=False),
    Column("total_m", Float, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("started_at", TS),
    Column("done_at", TS),
    Index("ix_waves_state", "state"),
)

wave_trips = Table(
    "wave_trips", metadata,
    Column("id", String(40), primary_key=True),  # the task id the zone device sees
    Column("wave_id", String(40), ForeignKey("waves.id"), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("zone", String(32), nullable=False),
    Column("total_m", Float, nullable=False),
    Column("method", String(16), nullable=False),
    Column("device_id", String(64), index=True),  # None: not sent yet
    Column("sent_at", TS),
)

wave_totes = Table(
    "wave_totes", metadata,
    Column("trip_id", String(40), ForeignKey("wave_trips.id"), primary_key=True),
    Column("order_id", String(40), primary_key=True),
    Column("wave_id", String(40), nullable=False, index=True),
    Column("slot", Integer, nullable=False),
)

wave_picks = Table(
    "wave_picks", metadata,
    Column("pick_id", String(40), ForeignKey("picks.id"), primary_key=True),
    Column("wave_id", String(40), nullable=False, index=True),
    Column("trip_id", String(40), ForeignKey("wave_trips.id"), nullable=False, index=True),
    Column("task_id", String(40), nullable=False, index=True),
    Column("order_id", String(40), nullable=False),
    Column("seq", Integer, nullable=False),  # walking order within the trip
    Column("tote", Integer, nullable=False),
    Column("cumulative_m", Float, nullable=False),
)
