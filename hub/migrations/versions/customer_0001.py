"""customer messages and opt-outs

Revision ID: customer_0001
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "customer_0001"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_messages",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=True),
        sa.Column("template", sa.String(length=40), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(length=250), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_customer_messages")),
    )
    op.create_index(op.f("ix_customer_messages_order_id"), "customer_messages", ["order_id"])
    op.create_table(
        "message_opt_outs",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("email", name=op.f("pk_message_opt_outs")),
    )


def downgrade() -> None:
    op.drop_table("message_opt_outs")
    op.drop_table("customer_messages")
