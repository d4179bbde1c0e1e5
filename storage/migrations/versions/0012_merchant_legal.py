"""Merchants' legal details: the name, address and 统一社会信用代码 of the business licence.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

The respondent of a dossier for 12315 is the merchant as the licence names it, not the shop
name buyers know. Set by the operator (`complaint-bot merchants legal`); NULL until then.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_COLUMNS = (("legal_name", 128), ("legal_address", 255), ("credit_code", 18))


def upgrade() -> None:
    for name, length in _COLUMNS:
        op.add_column("merchants", sa.Column(name, sa.String(length), nullable=True))


def downgrade() -> None:
    for name, _ in reversed(_COLUMNS):
        op.drop_column("merchants", name)
