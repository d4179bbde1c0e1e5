"""Audit: each case row keeps the length and head of its event chain; events seal the rows.

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-06

Written by hand and frozen, like the others: ADD/DROP COLUMN only. Existing cases get their
chain's length and newest hash from their events, and a salt of their own. Their newest event
carries no digest of the rows yet; the first publication of the chain heads (the bot's daily
round or `complaint-bot audit publish`) seals them with an event of their own.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SALT_BYTES = 16
_BATCH = 500


def upgrade() -> None:
    op.add_column(
        "cases", sa.Column("event_count", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "cases", sa.Column("head_hash", sa.String(64), server_default=sa.text("''"), nullable=False)
    )
    op.add_column(
        "cases",
        sa.Column("audit_salt", sa.String(32), server_default=sa.text("''"), nullable=False),
    )
    op.add_column(
        "case_events",
        sa.Column("state_digest", sa.String(64), server_default=sa.text("''"), nullable=False),
    )
    op.execute(
        "UPDATE cases SET"
        " event_count = (SELECT count(*) FROM case_events e WHERE e.case_no = cases.case_no),"
        " head_hash = COALESCE((SELECT e.hash FROM case_events e WHERE e.case_no = cases.case_no"
        " ORDER BY e.seq DESC LIMIT 1), '')"
    )
    connection = op.get_bind()
    numbers = [row[0] for row in connection.execute(sa.text("SELECT case_no FROM cases"))]
    update = sa.text("UPDATE cases SET audit_salt = :salt WHERE case_no = :case_no")
    for start in range(0, len(numbers), _BATCH):
        connection.execute(
            update,
            [
                {"case_no": number, "salt": secrets.token_hex(_SALT_BYTES)}
                for number in numbers[start : start + _BATCH]
            ],
        )


def downgrade() -> None:
    op.drop_column("case_events", "state_digest")
    op.drop_column("cases", "audit_salt")
    op.drop_column("cases", "head_hash")
    op.drop_column("cases", "event_count")
