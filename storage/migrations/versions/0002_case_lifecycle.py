"""Case lifecycle: who works a case and what it waits for, keyed outbox, blocked chats.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

Written by hand and frozen, like 0001. Only ADD/DROP COLUMN and CREATE/DROP INDEX, never a
table rebuild: SQLite runs with foreign keys on, and rebuilding `cases` (which evidence and
case_events reference) would trip them. For the same reason uniqueness on existing tables is a
unique index, which SQLite can add, not a constraint, which it cannot.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _case_columns() -> list[sa.Column[Any]]:
    # Nullable columns need no default: NULL is what an existing row means ("not yet").
    return [
        # merchant_code / order_amount: filled from the order below for cases filed before 0002.
        sa.Column("merchant_code", sa.String(32), server_default=sa.text("''"), nullable=False),
        sa.Column("order_amount", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("assignee_id", sa.BigInteger(), nullable=True),
        sa.Column("deadline_kind", sa.String(16), nullable=True),
        sa.Column("offer_amount", sa.BigInteger(), nullable=True),
        sa.Column("offer_declined", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("approved_amount", sa.BigInteger(), nullable=True),
        sa.Column("paused_review_seconds", sa.Integer(), nullable=True),
    ]


def upgrade() -> None:
    for column in _case_columns():
        op.add_column("cases", column)
    # Correlated subqueries rather than UPDATE ... FROM: the one spelling both backends accept.
    op.execute(
        "UPDATE cases SET "
        "merchant_code = (SELECT o.merchant_code FROM orders o WHERE o.order_no = cases.order_no),"
        " order_amount = (SELECT o.amount FROM orders o WHERE o.order_no = cases.order_no)"
    )
    # ix_cases_next_deadline_at (0001) already serves the staff queue's ORDER BY.

    op.add_column("outbox", sa.Column("key", sa.String(255), nullable=True))
    op.add_column("outbox", sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_outbox_key", "outbox", ["key"], unique=True)

    op.create_table(
        "blocked_chats",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name="pk_blocked_chats"),
    )

    op.add_column(
        "merchants", sa.Column("bind_token_issued_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("merchants", sa.Column("bound_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_merchants_bind_token_hash", "merchants", ["bind_token_hash"], unique=True)


def downgrade() -> None:
    # Indexes before their columns: SQLite refuses to drop an indexed column.
    op.drop_index("ix_merchants_bind_token_hash", table_name="merchants")
    op.drop_column("merchants", "bound_at")
    op.drop_column("merchants", "bind_token_issued_at")

    op.drop_table("blocked_chats")

    op.drop_index("ix_outbox_key", table_name="outbox")
    op.drop_column("outbox", "failed_at")
    op.drop_column("outbox", "key")

    for column in reversed(_case_columns()):
        op.drop_column("cases", column.name)
