"""Engine setup and the unit of work's transaction rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import StatementError

from storage.db import SQLITE_CACHE_KIB, default_database_url, make_engine
from tests.storage.conftest import Database, postgres_only
from tests.storage.factories import SHANGHAI, T0, order


def test_default_url_is_an_sqlite_file_under_the_data_dir(tmp_path: Path) -> None:
    assert default_database_url(tmp_path / "data") == (
        f"sqlite+aiosqlite:///{tmp_path}/data/complaint_bot.db"
    )


async def test_sqlite_engine_creates_the_directory_and_sets_its_pragmas(tmp_path: Path) -> None:
    engine = make_engine(default_database_url(tmp_path / "nested" / "data"))
    try:
        async with engine.connect() as connection:
            pragmas = {
                name: (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout", "cache_size")
            }
    finally:
        await engine.dispose()
    assert (tmp_path / "nested" / "data" / "complaint_bot.db").is_file()
    assert pragmas["journal_mode"] == "wal"
    assert pragmas["foreign_keys"] == 1
    assert int(pragmas["busy_timeout"]) >= 1000
    assert pragmas["cache_size"] == -SQLITE_CACHE_KIB


async def test_times_come_back_aware_in_utc_as_the_same_instant(db: Database) -> None:
    paid_at = datetime(2026, 11, 20, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    async with db.uow() as uow:
        await uow.orders.upsert(order(paid_at=paid_at, delivered_at=None))
        await uow.commit()
    async with db.uow() as uow:
        stored = await uow.orders.get("KM202611200001")
    assert stored is not None
    assert stored.paid_at == paid_at
    assert stored.paid_at.tzinfo is UTC
    assert stored.paid_at.isoformat() == "2026-11-20T15:59:59.999999+00:00"
    assert stored.delivered_at is None


async def test_naive_times_are_refused(db: Database) -> None:
    async with db.uow() as uow:
        with pytest.raises(StatementError, match="naive datetime"):
            await uow.orders.upsert(order(paid_at=T0.replace(tzinfo=None)))


async def test_work_that_is_not_committed_is_rolled_back(db: Database) -> None:
    async with db.uow() as uow:
        await uow.orders.upsert(order("KM1"))

    async def fail_midway() -> None:
        async with db.uow() as uow:
            await uow.orders.upsert(order("KM2"))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await fail_midway()
    async with db.uow() as uow:
        await uow.orders.upsert(order("KM3"))
        await uow.rollback()
        await uow.orders.upsert(order("KM4"))
        await uow.commit()
        await uow.orders.upsert(order("KM5"))
    async with db.uow() as uow:
        present = [no for no in ("KM1", "KM2", "KM3", "KM4", "KM5") if await uow.orders.get(no)]
    assert present == ["KM4"]


@postgres_only  # on SQLite the second unit of work would wait for the first one's lock
async def test_two_units_of_work_do_not_see_each_others_uncommitted_rows(db: Database) -> None:
    async with db.uow() as first, db.uow() as second:
        await first.orders.upsert(order("KM1"))
        assert await second.orders.get("KM1") is None
        await first.commit()
        assert await second.orders.get("KM1") is not None


async def test_a_unit_of_work_cannot_be_entered_twice(db: Database) -> None:
    uow = db.uow()
    async with uow:
        with pytest.raises(RuntimeError, match="reentrant"):
            await uow.__aenter__()


async def test_order_upsert_reports_whether_anything_changed(db: Database) -> None:
    async with db.uow() as uow:
        assert await uow.orders.upsert(order()) is True
        assert await uow.orders.upsert(order()) is False
        # The same instant written in another zone is the same value.
        assert await uow.orders.upsert(order(paid_at=T0.astimezone(UTC))) is False
        assert await uow.orders.upsert(order(amount=5000)) is True
        assert await uow.orders.upsert(order(amount=5000, delivered_at=None)) is True
        assert await uow.orders.upsert(order(amount=5000, delivered_at=None)) is False
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.orders.get("KM202611200001") == order(amount=5000, delivered_at=None)
        assert await uow.orders.get("KM-missing") is None


async def test_times_compare_chronologically_in_sql(db: Database) -> None:
    # SQLite compares the stored text, so every value must be written in one UTC format.
    async with db.uow() as uow:
        for minutes in (0, 30, 90):
            at = T0 + timedelta(minutes=minutes)
            await uow.ownership.record_failure(1, "KM1", at.astimezone(UTC))
        since = (T0 + timedelta(minutes=29)).astimezone(SHANGHAI)
        assert await uow.ownership.failures_since(1, "KM1", since) == 2
