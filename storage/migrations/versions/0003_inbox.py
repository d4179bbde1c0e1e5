"""The durable inbox: every incoming update, stored before it is acknowledged to Telegram.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

Written by hand and frozen, like 0001 and 0002: a new table and its index only.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_by", sa.String(128), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("update_id", name="pk_inbox"),
    )
    op.create_index(
        "ix_inbox_done_at_chat_id_update_id", "inbox", ["done_at", "chat_id", "update_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_inbox_done_at_chat_id_update_id", table_name="inbox")
    op.drop_table("inbox")
