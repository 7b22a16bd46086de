"""stored waves: trips, tote slots, picks in walking order

Revision ID: waves_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "waves_0001"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "waves",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("zone", sa.String(length=32), nullable=True),
        sa.Column("totes", sa.Integer(), nullable=False),
        sa.Column("units_per_trip", sa.Integer(), nullable=True),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("picks", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("total_m", sa.Float(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("done_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waves")),
    )
    op.create_index("ix_waves_state", "waves", ["state"])
    op.create_table(
        "wave_trips",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("wave_id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("zone", sa.String(length=32), nullable=False),
        sa.Column("total_m", sa.Float(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=True),
        sa.Column("sent_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["wave_id"], ["waves.id"],
                                name=op.f("fk_wave_trips_wave_id_waves")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wave_trips")),
    )
    op.create_index(op.f("ix_wave_trips_wave_id"), "wave_trips", ["wave_id"])
    op.create_index(op.f("ix_wave_trips_device_id"), "wave_trips", ["device_id"])
    op.create_table(
        "wave_totes",
        sa.Column("trip_id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("wave_id", sa.String(length=40), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["trip_id"], ["wave_trips.id"],
                                name=op.f("fk_wave_totes_trip_id_wave_trips")),
        sa.PrimaryKeyConstraint("trip_id", "order_id", name=op.f("pk_wave_totes")),
    )
    op.create_index(op.f("ix_wave_totes_wave_id"), "wave_totes", ["wave_id"])
    op.create_table(
        "wave_picks",
        sa.Column("pick_id", sa.String(length=40), nullable=False),
        sa.Column("wave_id", sa.String(length=40), nullable=False),
        sa.Column("trip_id", sa.String(length=40), nullable=False),
        sa.Column("task_id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("tote", sa.Integer(), nullable=False),
        sa.Column("cumulative_m", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["pick_id"], ["picks.id"],
                                name=op.f("fk_wave_picks_pick_id_picks")),
        sa.ForeignKeyConstraint(["trip_id"], ["wave_trips.id"],
                                name=op.f("fk_wave_picks_trip_id_wave_trips")),
        sa.PrimaryKeyConstraint("pick_id", name=op.f("pk_wave_picks")),
    )
    for column in ("wave_id", "trip_id", "task_id"):
        op.create_index(op.f(f"ix_wave_picks_{column}"), "wave_picks", [column])


def downgrade() -> None:
    op.drop_table("wave_picks")
    op.drop_table("wave_totes")
    op.drop_table("wave_trips")
    op.drop_table("waves")
