"""The SQLite connection SQLAlchemy gets: aiosqlite, one hand-off to its thread per statement."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import make_engine, make_session_factory
from storage.sqlite_driver import OneHopConnection


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as connection:
        await connection.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def handoffs(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts every call aiosqlite hands to its thread, by the function handed over."""
    counted: Counter[str] = Counter()
    original = aiosqlite.Connection._execute

    async def counting(
        self: aiosqlite.Connection, fn: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> Any:
        counted[getattr(fn, "__name__", repr(fn))] += 1
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counting)
    return counted


async def test_rows_counts_and_ids_come_back_as_sqlite3_gives_them(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        raw = await connection.get_raw_connection()
        assert isinstance(raw.dbapi_connection.driver_connection, OneHopConnection)
        inserted = await connection.exec_driver_sql("INSERT INTO t (v) VALUES ('a')")
        assert inserted.lastrowid == 1
        await connection.exec_driver_sql("INSERT INTO t (v) VALUES (?)", [("b",), ("c",)])
        changed = await connection.execute(text("UPDATE t SET v = v || '!' WHERE id > 1"))
        assert changed.rowcount == 2
        returned = await connection.execute(
            text("UPDATE t SET v = 'z' WHERE id = 3 RETURNING id, v")
        )
        assert returned.all() == [(3, "z")]
        rows = await connection.execute(text("SELECT id, v FROM t ORDER BY id"))
        assert list(rows.keys()) == ["id", "v"]
        assert rows.all() == [(1, "a"), (2, "b!"), (3, "z")]
        assert (await connection.execute(text("SELECT v FROM t WHERE id = 9"))).first() is None


async def test_an_open_transaction_is_still_rolled_back(engine: AsyncEngine) -> None:
    async with make_session_factory(engine)() as session:
        await session.execute(text("INSERT INTO t (v) VALUES ('kept?')"))
        # Closed without commit: the session and the pool roll back.
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar() == 0


async def test_a_transaction_with_one_statement_takes_two_hand_offs(
    engine: AsyncEngine, handoffs: Counter[str]
) -> None:
    factory = make_session_factory(engine)
    async with factory() as session, session.begin():  # the pool's connection is opened here
        pass
    handoffs.clear()
    async with factory() as session, session.begin():
        await session.execute(text("SELECT v FROM t WHERE id = 1"))
    # BEGIN IMMEDIATE with the SELECT (executed, fetched, closed together), then COMMIT;
    # aiosqlite's own cursor took four for the SELECT alone, and the pool's rollback after a
    # commit one more.
    assert sum(handoffs.values()) == 2, handoffs


async def test_a_transaction_that_runs_nothing_takes_no_hand_off(
    engine: AsyncEngine, handoffs: Counter[str]
) -> None:
    factory = make_session_factory(engine)
    async with factory() as session, session.begin():
        pass
    handoffs.clear()
    async with factory() as session:
        await session.connection()  # begun: storage/db.py sends BEGIN IMMEDIATE
        await session.commit()
    async with factory() as session:
        await session.connection()
        await session.rollback()
    assert sum(handoffs.values()) == 0, handoffs


async def test_the_first_statement_of_a_transaction_holds_the_write_lock(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    factory = make_session_factory(engine)
    async with factory() as session:
        await session.execute(text("SELECT v FROM t WHERE id = 1"))
        other = await aiosqlite.connect(tmp_path / "driver.db", timeout=0)
        try:
            # IMMEDIATE: a read already took the lock another writer would need.
            with pytest.raises(aiosqlite.OperationalError, match="locked"):
                await other.execute("BEGIN IMMEDIATE")
        finally:
            await other.close()
        await session.rollback()


async def test_a_begin_that_cannot_take_the_lock_fails_its_statement(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    async with make_session_factory(engine)() as session:
        await session.execute(text("PRAGMA busy_timeout=0"))  # fail at once, not in 10 s
        await session.commit()
        other = await aiosqlite.connect(tmp_path / "driver.db", isolation_level=None)
        await other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(OperationalError, match="locked"):
                await session.execute(text("SELECT v FROM t WHERE id = 1"))
            await session.rollback()
        finally:
            await other.close()
        # The lock is free again: the connection goes on.
        assert (await session.execute(text("SELECT count(*) FROM t"))).scalar() == 0
