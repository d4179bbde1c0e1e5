"""Screen readings: the text read in each evidence image, and the order's card code.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07

One row per evidence image, written when its read starts and completed with the text and what
it matched (cases/screen_reading.py). orders.card_code is the code delivered, when the
platform's export has it, so screenshots can be matched against it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "screen_readings",
        sa.Column(
            "evidence_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("case_no", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("matches", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["evidence_id"], ["evidence.id"], name="fk_screen_readings_evidence_id_evidence"
        ),
        sa.ForeignKeyConstraint(
            ["case_no"], ["cases.case_no"], name="fk_screen_readings_case_no_cases"
        ),
        sa.PrimaryKeyConstraint("evidence_id", name="pk_screen_readings"),
    )
    op.create_index("ix_screen_readings_case_no", "screen_readings", ["case_no"])
    op.add_column("orders", sa.Column("card_code", sa.String(128), nullable=True))


def downgrade() -> None:
    op.drop_column("orders", "card_code")
    op.drop_index("ix_screen_readings_case_no", table_name="screen_readings")
    op.drop_table("screen_readings")
