"""Risk signals: indexes for an account's first order and a merchant's recent complaints.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

The staff card weighs the buyer's account age (the first order of its platform account) and the
merchant's complaint rate over the last days (its cases and its orders in the window); without
these indexes each card would scan every order and every case.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_orders_buyer_account_paid_at", "orders", ["buyer_account", "paid_at"])
    op.create_index("ix_orders_merchant_code_paid_at", "orders", ["merchant_code", "paid_at"])
    op.create_index("ix_cases_merchant_code_created_at", "cases", ["merchant_code", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_cases_merchant_code_created_at", table_name="cases")
    op.drop_index("ix_orders_merchant_code_paid_at", table_name="orders")
    op.drop_index("ix_orders_buyer_account_paid_at", table_name="orders")
