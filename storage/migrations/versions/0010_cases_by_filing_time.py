"""Cases: an index by filing time, for the stats of a period.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

`/stats`, `complaint-bot stats` and the weekly digest read the cases filed in a period (the last
7 or 30 days, a month); without this index each of them scans every case ever filed.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_cases_created_at", "cases", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_cases_created_at", table_name="cases")
