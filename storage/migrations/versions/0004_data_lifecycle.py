"""Data lifecycle: evidence status, removal of a buyer's personal data, retention indexes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

Written by hand and frozen, like 0001-0003: ADD/DROP COLUMN, CREATE/DROP INDEX and a new table,
never a table rebuild (SQLite runs with foreign keys on; rebuilding `cases` or `evidence` would
trip them). 0001's check constraints keep their doubled names (ck_orders_ck_orders_...); this
revision touches none of them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "evidence",
        sa.Column("status", sa.String(16), server_default="received", nullable=False),
    )
    # Files downloaded before this revision are stored ones. Files refused by the content check
    # before it stay "received": which ones they were is only in the jobs' last_error text.
    op.execute("UPDATE evidence SET status = 'stored' WHERE sha256 IS NOT NULL")

    op.add_column(
        "cases",
        sa.Column("personal_data_removed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "data_erasures",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cases_anonymised", sa.Integer(), nullable=False),
        sa.Column("cases_kept", sa.Integer(), nullable=False),
        sa.Column("evidence_removed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_data_erasures"),
    )

    # The retention clean-up deletes by these times.
    op.create_index("ix_outbox_failed_at", "outbox", ["failed_at"])
    op.create_index("ix_processed_updates_processed_at", "processed_updates", ["processed_at"])


def downgrade() -> None:
    # Indexes before their columns: SQLite refuses to drop an indexed column.
    op.drop_index("ix_processed_updates_processed_at", table_name="processed_updates")
    op.drop_index("ix_outbox_failed_at", table_name="outbox")
    op.drop_table("data_erasures")
    op.drop_column("cases", "personal_data_removed_at")
    op.drop_column("evidence", "status")
