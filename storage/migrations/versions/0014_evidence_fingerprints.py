"""Evidence fingerprints: each image's perceptual hash in indexed bands, and the matches found.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

Written by hand: two new tables, nothing else touched. Images stored before this revision are
fingerprinted by the bot's backfill (bot/fingerprints.py), not here.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_BANDS = ("band0", "band1", "band2", "band3")


def upgrade() -> None:
    op.create_table(
        "evidence_fingerprints",
        sa.Column("evidence_id", _ID, autoincrement=False, nullable=False),
        sa.Column("phash", sa.BigInteger(), nullable=True),
        *(sa.Column(band, sa.Integer(), nullable=True) for band in _BANDS),
        sa.Column("detail", sa.LargeBinary(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_id"], ["evidence.id"], name="fk_evidence_fingerprints_evidence_id_evidence"
        ),
        sa.PrimaryKeyConstraint("evidence_id", name="pk_evidence_fingerprints"),
    )
    for band in _BANDS:
        op.create_index(f"ix_evidence_fingerprints_{band}", "evidence_fingerprints", [band])
    op.create_table(
        "evidence_matches",
        sa.Column("evidence_id", _ID, autoincrement=False, nullable=False),
        sa.Column("other_evidence_id", _ID, autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("same_buyer", sa.Boolean(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_id"], ["evidence.id"], name="fk_evidence_matches_evidence_id_evidence"
        ),
        sa.ForeignKeyConstraint(
            ["other_evidence_id"],
            ["evidence.id"],
            name="fk_evidence_matches_other_evidence_id_evidence",
        ),
        sa.PrimaryKeyConstraint("evidence_id", "other_evidence_id", name="pk_evidence_matches"),
    )


def downgrade() -> None:
    op.drop_table("evidence_matches")
    for band in _BANDS:
        op.drop_index(f"ix_evidence_fingerprints_{band}", table_name="evidence_fingerprints")
    op.drop_table("evidence_fingerprints")
