"""`complaint-bot cases export` and `complaint-bot backup`, run as the operator runs them."""

from __future__ import annotations

import asyncio
import csv
import io
import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli import EXPORT_COLUMNS, export_row
from cases.model import CaseStatus, DeadlineKind
from storage.db import make_engine, make_session_factory
from storage.uow import SqlUnitOfWork
from tests.bot.test_cli import run_cli
from tests.storage.factories import T0, case, order

pytestmark = pytest.mark.backend_independent


@pytest.fixture
def database(tmp_path: Path) -> Path:
    """The default SQLite database under DATA_DIR, migrated, with two orders and two cases."""
    assert run_cli(tmp_path, "migrate").returncode == 0
    path = tmp_path / "data" / "complaint_bot.db"

    async def fill() -> None:
        engine = make_engine(f"sqlite+aiosqlite:///{path}")
        try:
            async with SqlUnitOfWork(make_session_factory(engine)) as uow:
                await uow.orders.upsert(order("KM1"))
                await uow.orders.upsert(order("KM2"))
                await uow.cases.add(case("TS20261120-AAAAA", "KM1", merchant_code="M1001"))
                later = T0 + timedelta(days=3)
                await uow.cases.add(
                    case(
                        "TS20261123-BBBBB",
                        "KM2",
                        status=CaseStatus.NEGOTIATING,
                        refund_amount=1999,
                        offer_amount=1000,
                        order_amount=6000,
                        deadline_kind=DeadlineKind.BUYER_DECISION,
                        created_at=later,
                        updated_at=later,
                    )
                )
                await uow.commit()
        finally:
            await engine.dispose()

    asyncio.run(fill())
    return path


def read_csv(text: str) -> list[dict[str, str]]:
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    return [dict(zip(EXPORT_COLUMNS, row, strict=True)) for row in rows[1:]]


def test_export_writes_every_case_with_exact_amounts_and_local_times(
    tmp_path: Path, database: Path
) -> None:
    result = run_cli(tmp_path, "cases", "export", "--output", "cases.csv")
    assert result.returncode == 0, result.stderr
    assert "Exported 2 cases to cases.csv" in result.stderr
    first, second = read_csv((tmp_path / "cases.csv").read_text(encoding="utf-8"))
    assert (first["case_no"], first["status"], first["refund_requested"]) == (
        "TS20261120-AAAAA",
        "submitted",
        "60.00",
    )
    assert first["offer_amount"] == ""
    assert first["created_at"] == "2026-11-20T22:35:09.123456+08:00"
    assert first["buyer_telegram_id"] == "7000000001"
    assert (second["refund_requested"], second["offer_amount"], second["order_amount"]) == (
        "19.99",
        "10.00",
        "60.00",
    )
    assert second["next_deadline"] == "buyer_decision"
    # The buyer's own words stay in the bot.
    assert "卡密" not in (tmp_path / "cases.csv").read_text(encoding="utf-8")


def test_export_to_standard_output_keeps_it_pure_csv_and_filters_by_date(
    tmp_path: Path, database: Path
) -> None:
    result = run_cli(tmp_path, "cases", "export", "--since", "2026-11-22", locale="zh_CN")
    assert result.returncode == 0, result.stderr
    assert [row["case_no"] for row in read_csv(result.stdout)] == ["TS20261123-BBBBB"]
    assert "已导出 1 个投诉" in result.stderr


def test_backup_copies_the_database_and_refuses_to_overwrite(
    tmp_path: Path, database: Path
) -> None:
    result = run_cli(tmp_path, "backup", "backups/copy.db")
    assert result.returncode == 0, result.stderr
    assert "integrity check" in result.stdout
    with closing(sqlite3.connect(tmp_path / "backups" / "copy.db")) as copy:
        assert copy.execute("SELECT count(*) FROM cases").fetchone() == (2,)
    again = run_cli(tmp_path, "backup", "backups/copy.db")
    assert again.returncode == 1
    assert "exists already" in again.stderr


def test_backup_while_the_bot_is_writing_copies_what_is_committed(
    tmp_path: Path, database: Path
) -> None:
    # A writer holding uncommitted changes in WAL mode: the copy sees the committed state only.
    with closing(sqlite3.connect(database)) as writer:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("BEGIN")
        writer.execute("DELETE FROM cases")
        result = run_cli(tmp_path, "backup", "copy.db")
        writer.rollback()
    assert result.returncode == 0, result.stderr
    with closing(sqlite3.connect(tmp_path / "copy.db")) as copy:
        assert copy.execute("SELECT count(*) FROM cases").fetchone() == (2,)


def test_backup_without_a_database_or_of_postgresql_says_what_to_do(tmp_path: Path) -> None:
    missing = run_cli(tmp_path, "backup", "copy.db")
    assert missing.returncode == 1
    assert "there is no database" in missing.stderr
    assert not (tmp_path / "copy.db").exists()
    postgres = run_cli(
        tmp_path,
        "backup",
        "copy.db",
        extra_env={"DATABASE_URL": "postgresql+asyncpg://bot@db.internal/complaints"},
    )
    assert postgres.returncode == 2
    assert "pg_dump" in postgres.stderr


def test_the_export_row_has_a_cell_for_every_column() -> None:
    row = export_row(replace(case(), assignee_id=42), ZoneInfo("Asia/Shanghai"))
    assert len(row) == len(EXPORT_COLUMNS)
    assert row[EXPORT_COLUMNS.index("assignee_telegram_id")] == "42"


def test_export_takes_the_chat_filters_and_writes_xlsx(tmp_path: Path, database: Path) -> None:
    import openpyxl

    result = run_cli(tmp_path, "cases", "export", "status=submitted", "xlsx", "--output", "c.xlsx")
    assert result.returncode == 0, result.stderr
    book = openpyxl.load_workbook(tmp_path / "c.xlsx")
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0] == EXPORT_COLUMNS
    assert {row[4] for row in rows[1:]} == {"submitted"}
    assert rows[1][EXPORT_COLUMNS.index("refund_requested")] == 60.0
    refused = run_cli(tmp_path, "cases", "export", "status=lost", "--output", "d.csv")
    assert refused.returncode == 2
    assert "status=lost" in refused.stderr
    assert run_cli(tmp_path, "cases", "export", "--format", "xlsx").returncode == 2
