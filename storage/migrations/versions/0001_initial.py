"""Initial schema: orders, cases and their history, users and staff, jobs, outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-26

Written by hand from storage/models.py and frozen: later model changes get a new revision.
Times are `DateTime(timezone=True)` here; the models' UtcDateTime type produces the same DDL.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column[int]:
    # BIGSERIAL on PostgreSQL; INTEGER PRIMARY KEY (the auto-assigned rowid) on SQLite.
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True)


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _db_now(name: str) -> sa.Column[object]:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=sa.text("CURRENT_TIMESTAMP"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("username", sa.String(64), nullable=True),
        sa.Column("language_code", sa.String(16), nullable=True),
        sa.Column("locale", sa.String(16), nullable=True),
        _time("created_at"),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("user_id", name="pk_users"),
    )
    op.create_table(
        "staff",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        _time("added_at"),
        sa.PrimaryKeyConstraint("user_id", name="pk_staff"),
    )
    op.create_table(
        "merchants",
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=True),
        sa.Column("bind_token_hash", sa.String(64), nullable=True),
        _time("created_at"),
        sa.PrimaryKeyConstraint("code", name="pk_merchants"),
        sa.UniqueConstraint("telegram_user_id", name="uq_merchants_telegram_user_id"),
    )
    op.create_table(
        "orders",
        sa.Column("order_no", sa.String(64), nullable=False),
        sa.Column("buyer_account", sa.String(128), nullable=False),
        sa.Column("merchant_code", sa.String(32), nullable=False),
        sa.Column("product", sa.String(255), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        _time("paid_at"),
        _time("delivered_at", nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        _db_now("imported_at"),
        _db_now("updated_at"),
        sa.CheckConstraint("amount >= 0", name="ck_orders_amount_not_negative"),
        sa.PrimaryKeyConstraint("order_no", name="pk_orders"),
    )
    op.create_index("ix_orders_merchant_code", "orders", ["merchant_code"])
    op.create_table(
        "dialog_drafts",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("user_id", name="pk_dialog_drafts"),
    )
    op.create_table(
        "cases",
        sa.Column("case_no", sa.String(32), nullable=False),
        sa.Column("order_no", sa.String(64), nullable=False),
        sa.Column("buyer_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("refund_amount", sa.BigInteger(), nullable=False),
        sa.Column("refund_method", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        _time("created_at"),
        _time("updated_at"),
        _time("review_due_at", nullable=True),
        _time("next_deadline_at", nullable=True),
        # order_no while the case is open, NULL once final: UNIQUE makes "one open case per
        # order" a database guarantee (NULLs never collide on PostgreSQL or SQLite).
        sa.Column("open_order_no", sa.String(64), nullable=True),
        sa.CheckConstraint(
            "open_order_no IS NULL OR open_order_no = order_no",
            name="ck_cases_open_order_no_is_order_no",
        ),
        sa.CheckConstraint("refund_amount >= 0", name="ck_cases_refund_amount_not_negative"),
        sa.ForeignKeyConstraint(["order_no"], ["orders.order_no"], name="fk_cases_order_no_orders"),
        sa.PrimaryKeyConstraint("case_no", name="pk_cases"),
        sa.UniqueConstraint("open_order_no", name="uq_cases_open_order_no"),
    )
    op.create_index("ix_cases_order_no", "cases", ["order_no"])
    op.create_index("ix_cases_buyer_id_created_at", "cases", ["buyer_id", "created_at"])
    op.create_index("ix_cases_next_deadline_at", "cases", ["next_deadline_at"])
    op.create_table(
        "evidence",
        _id(),
        sa.PrimaryKeyConstraint("id", name="pk_evidence"),
        sa.Column("case_no", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("file_id", sa.String(255), nullable=False),
        sa.Column("file_unique_id", sa.String(64), nullable=False),
        sa.Column("mime_type", sa.String(128), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("file_name", sa.String(255), nullable=True),
        _time("received_at"),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("stored_path", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_no"], ["cases.case_no"], name="fk_evidence_case_no_cases"),
        sa.UniqueConstraint("case_no", "file_unique_id", name="uq_evidence_case_no_file_unique_id"),
    )
    op.create_table(
        "case_events",
        sa.Column("case_no", sa.String(32), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        _time("at"),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("from_status", sa.String(32), nullable=True),
        sa.Column("to_status", sa.String(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_no"], ["cases.case_no"], name="fk_case_events_case_no_cases"
        ),
        sa.PrimaryKeyConstraint("case_no", "seq", name="pk_case_events"),
    )
    op.create_table(
        "ownership_attempts",
        _id(),
        sa.PrimaryKeyConstraint("id", name="pk_ownership_attempts"),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("order_no", sa.String(64), nullable=False),
        _time("at"),
    )
    op.create_index(
        "ix_ownership_attempts_user_id_order_no_at",
        "ownership_attempts",
        ["user_id", "order_no", "at"],
    )
    op.create_table(
        "jobs",
        _id(),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("key", sa.String(255), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        _time("due_at"),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_by", sa.String(128), nullable=True),
        _time("locked_until", nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _time("done_at", nullable=True),
        _db_now("created_at"),
        sa.UniqueConstraint("key", name="uq_jobs_key"),
    )
    op.create_index("ix_jobs_done_at_due_at", "jobs", ["done_at", "due_at"])
    op.create_table(
        "outbox",
        _id(),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        _db_now("created_at"),
        _time("due_at"),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_by", sa.String(128), nullable=True),
        _time("locked_until", nullable=True),
        _time("sent_at", nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_index("ix_outbox_sent_at_due_at", "outbox", ["sent_at", "due_at"])
    op.create_table(
        "processed_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        _time("processed_at"),
        sa.PrimaryKeyConstraint("update_id", name="pk_processed_updates"),
    )


def downgrade() -> None:
    # Children before parents, so the foreign keys never point at a missing table.
    for table in (
        "processed_updates",
        "outbox",
        "jobs",
        "ownership_attempts",
        "case_events",
        "evidence",
        "cases",
        "dialog_drafts",
        "orders",
        "merchants",
        "staff",
        "users",
    ):
        op.drop_table(table)
