"""sales channel tables

Revision ID: channels_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "channels_0001"
down_revision = "0001"
branch_labels = ("channels",)
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "channel_listings",
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("listing_key", sa.String(100), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["sku"], ["skus.sku"],
                                name=op.f("fk_channel_listings_sku_skus")),
        sa.PrimaryKeyConstraint("channel", "listing_key", name=op.f("pk_channel_listings")),
    )
    op.create_table(
        "channel_quarantine",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("channel_ref", sa.String(100), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="1", nullable=False),
        sa.Column("order_id", sa.String(40), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_quarantine")),
    )
    op.create_index("ux_channel_quarantine_ref", "channel_quarantine",
                    ["channel", "channel_ref"], unique=True)
    op.create_table(
        "channel_deliveries",
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("delivery_id", sa.String(100), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("channel", "delivery_id", name=op.f("pk_channel_deliveries")),
    )
    op.create_table(
        "channel_cursors",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.String(100), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_channel_cursors")),
    )
    op.create_table(
        "channel_orders",
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("channel_ref", sa.String(100), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("channel_updated_at", TS, nullable=True),
        sa.Column("received_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("channel", "channel_ref", name=op.f("pk_channel_orders")),
    )
    op.create_table(
        "channel_stock",
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("listing_key", sa.String(100), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("buffer", sa.Integer(), server_default="0", nullable=False),
        sa.Column("desired", sa.Integer(), server_default="0", nullable=False),
        sa.Column("pushed", sa.Integer(), nullable=True),
        sa.Column("dirty", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["sku"], ["skus.sku"], name=op.f("fk_channel_stock_sku_skus")),
        sa.PrimaryKeyConstraint("channel", "listing_key", name=op.f("pk_channel_stock")),
    )


def downgrade() -> None:
    op.drop_table("channel_stock")
    op.drop_table("channel_orders")
    op.drop_table("channel_cursors")
    op.drop_table("channel_deliveries")
    op.drop_index("ux_channel_quarantine_ref", table_name="channel_quarantine")
    op.drop_table("channel_quarantine")
    op.drop_table("channel_listings")
