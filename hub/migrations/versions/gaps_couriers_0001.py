"""bench printers (language, dpi, width) as the pack benches report them

Revision ID: gaps_couriers_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "gaps_couriers_0001"
down_revision = "0001"
branch_labels = ("bench_printers",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bench_printers",
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("dpi", sa.Integer(), nullable=False),
        sa.Column("width_dots", sa.Integer(), nullable=False),
        sa.Column("formats", sa.JSON(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("device_id"),
    )


def downgrade() -> None:
    op.drop_table("bench_printers")
