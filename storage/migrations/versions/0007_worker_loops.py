"""Worker loops: each bot process's background loops, their last success and last error.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06

Written by hand and frozen: one new table, nothing else touched.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "worker_loops",
        sa.Column("worker_id", sa.String(128), nullable=False),
        sa.Column("loop", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("stall_after", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("worker_id", "loop", name="pk_worker_loops"),
    )


def downgrade() -> None:
    op.drop_table("worker_loops")
