"""Orders: when the platform saw the card code used.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07

The instant refund rule refunds a card code at once when the platform's data shows it was used
before the purchase (`code_redeemed_at` earlier than `paid_at`). NULL: no record of a use. The
account's first order, which the rule reads too, comes through revision 0013's index.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "orders", sa.Column("code_redeemed_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("orders", "code_redeemed_at")
