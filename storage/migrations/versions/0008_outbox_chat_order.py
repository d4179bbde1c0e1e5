"""Outbox: an index of each chat's pending rows in queue order.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

A claim hands out a chat's row only when no earlier pending row of the same chat waits (a
failed send in its backoff holds back the chat's later messages). That look-up runs for every
candidate row; this partial index keeps it to the chat's few pending rows, however many sent
rows the retention period keeps.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PENDING = sa.text("sent_at IS NULL AND failed_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_outbox_chat_id_id",
        "outbox",
        ["chat_id", "id"],
        sqlite_where=_PENDING,
        postgresql_where=_PENDING,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_chat_id_id", table_name="outbox")
