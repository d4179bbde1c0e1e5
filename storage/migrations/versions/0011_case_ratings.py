"""Case ratings: the buyer's satisfaction with a finished case, asked once.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

One row per case, written when the buyer is asked (score NULL) and completed when they answer,
with the staff member held responsible and an optional comment (removed on /deletemydata).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_ratings",
        sa.Column("case_no", sa.String(32), nullable=False),
        sa.Column("staff_id", sa.BigInteger(), nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "score IS NULL OR (score >= 1 AND score <= 5)", name="ck_case_ratings_score_1_to_5"
        ),
        sa.ForeignKeyConstraint(
            ["case_no"], ["cases.case_no"], name="fk_case_ratings_case_no_cases"
        ),
        sa.PrimaryKeyConstraint("case_no", name="pk_case_ratings"),
    )
    op.create_index("ix_case_ratings_asked_at", "case_ratings", ["asked_at"])


def downgrade() -> None:
    op.drop_index("ix_case_ratings_asked_at", table_name="case_ratings")
    op.drop_table("case_ratings")
