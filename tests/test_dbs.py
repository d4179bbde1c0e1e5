"""The test databases (tests/dbs.py): each test's is migrated and empty, however it was made."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from storage.db import make_engine, make_session_factory
from storage.models import Base, OutboxRow
from storage.uow import SqlUnitOfWork
from tests import dbs
from tests.storage.factories import order

AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


async def keep_rows(url: str) -> int:
    """Adds an order and a queued message; returns the message's id."""
    engine = make_engine(url)
    try:
        async with SqlUnitOfWork(make_session_factory(engine)) as uow:
            await uow.orders.upsert(order("KM202611200001"))
            await uow.outbox.add(1001, {"key": "any"}, AT)
            await uow.commit()
        async with engine.connect() as connection:
            return int((await connection.execute(select(func.max(OutboxRow.id)))).scalar_one())
    finally:
        await engine.dispose()


async def row_counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return {
                table.name: (await connection.execute(select(func.count()).select_from(table)))
                .scalar_one()
                for table in Base.metadata.sorted_tables
            }
    finally:
        await engine.dispose()


async def test_a_sqlite_database_is_migrated_empty_and_kept_within_its_test(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_DATABASE", "sqlite")
    async with dbs.fresh_database_url(tmp_path) as url:
        assert set((await row_counts(url)).values()) == {0}
        assert await keep_rows(url) == 1
    async with dbs.fresh_database_url(tmp_path) as again:
        assert again == url
        assert (await row_counts(url))["outbox"] == 1
    async with dbs.fresh_database_url(tmp_path / "other") as other:
        assert set((await row_counts(other)).values()) == {0}


@pytest.mark.backend_independent
async def test_a_test_marked_backend_independent_cannot_ask_for_the_database(
    tmp_path: Path,
) -> None:
    with pytest.raises(RuntimeError, match="backend_independent"):
        async with dbs.fresh_database_url(tmp_path):
            pass


async def test_a_postgresql_database_another_test_used_comes_back_as_a_fresh_clone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    problem = await dbs.unreachable_reason()
    if problem is not None:
        pytest.skip(f"PostgreSQL at {dbs.admin_url()} is unreachable ({problem})")
    monkeypatch.setenv("TEST_DATABASE", "postgres")
    async with dbs.fresh_database_url(tmp_path) as url:
        assert set((await row_counts(url)).values()) == {0}
        assert await keep_rows(url) == 1
        assert await keep_rows(url) == 2
        # A connection left open, as by a bot process that was killed.
        plain = make_url(url).set(drivername="postgresql")
        held = await asyncpg.connect(plain.render_as_string(hide_password=False))
        database = dbs._this_tests_databases.pop(str((tmp_path / "bot.db").resolve()))

    try:
        assert await dbs._empty_for_the_next_test(database)
        assert held.is_closed()  # ended first, so it cannot commit behind the deletes
        used = dbs._url_for(database)
        assert set((await row_counts(used)).values()) == {0}
        assert await keep_rows(used) == 1  # the sequences start over too

        # A test that changed the schema gets its database dropped, not emptied.
        engine = make_engine(used)
        try:
            async with engine.begin() as connection:
                await connection.execute(text("ALTER TABLE orders ADD COLUMN extra integer"))
        finally:
            await engine.dispose()
        assert not await dbs._empty_for_the_next_test(database)
        assert (await row_counts(used))["orders"] == 1
    finally:
        held.terminate()
        await dbs._execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
