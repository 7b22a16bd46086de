"""courier booking ledger and manifests

Revision ID: couriers_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "couriers_0001"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "courier_bookings",
        sa.Column("parcel_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("courier", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("service", sa.String(length=64), nullable=True),
        sa.Column("tracking_number", sa.String(length=64), nullable=True),
        sa.Column("courier_ref", sa.String(length=64), nullable=True),
        sa.Column("label", sa.LargeBinary(), nullable=True),
        sa.Column("label_format", sa.String(length=8), nullable=True),
        sa.Column("cost", sa.Float(), nullable=True),
        sa.Column("why", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("parcel_id", name=op.f("pk_courier_bookings")),
    )
    op.create_index(op.f("ix_courier_bookings_order_id"), "courier_bookings", ["order_id"])
    op.create_index(op.f("ix_courier_bookings_tracking_number"), "courier_bookings",
                    ["tracking_number"])
    op.create_table(
        "courier_manifests",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("courier", sa.String(length=32), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("tracking_numbers", sa.JSON(), nullable=False),
        sa.Column("scanned", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courier_manifests")),
    )
    op.create_index(op.f("ix_courier_manifests_courier"), "courier_manifests", ["courier"])


def downgrade() -> None:
    op.drop_table("courier_manifests")
    op.drop_table("courier_bookings")
