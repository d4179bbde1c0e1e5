"""Units of work on connections of their own: direct statements on the driver, the session only
when a statement needs it, and either way one transaction that commits or rolls back whole."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from collections.abc import Iterator

import asyncpg
import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError

from storage import connections as connections_module
from storage.connections import Connections, NoConnectionFree
from storage.models import OutboxRow
from storage.repositories._direct import DirectStatement
from tests.storage.conftest import Database, postgres_only
from tests.storage.factories import T0
from tests.storage.test_direct_statements import _INSERT, _READ, PAYLOAD, _row

sqlite_only = pytest.mark.parametrize("backend", ["sqlite"])
_BACKEND_PID = DirectStatement.of(select(func.pg_backend_pid().label("pid")))
_SLEEP = DirectStatement.of(select(func.pg_sleep(30).label("slept")))


@pytest.fixture
def statements() -> Iterator[Counter[str]]:
    """Counts the statements SQLAlchemy executes on any engine, by their first word."""
    counted: Counter[str] = Counter()

    def note(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        counted[sql.split()[0]] += 1

    event.listen(Engine, "before_cursor_execute", note)
    yield counted
    event.remove(Engine, "before_cursor_execute", note)


async def outside(db: Database, sql: str, *params: object) -> list[tuple[object, ...]]:
    """`sql` (with `params`, in the driver's style) run on a connection of the driver's own,
    outside SQLAlchemy and the units of work (and committed): what another client of the
    database sees and does."""
    url = make_url(db.url)
    if db.backend == "sqlite":
        other = sqlite3.connect(url.database or "")
        try:
            rows = other.execute(sql, params).fetchall()
            other.commit()
            return rows
        finally:
            other.close()
    connection = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, database=url.database
    )
    try:
        return [tuple(record) for record in await connection.fetch(sql, *params)]
    finally:
        await connection.close()


async def committed_keys(db: Database) -> list[str]:
    """The outbox keys another connection sees: only what was committed."""
    return [str(key) for (key,) in await outside(db, 'SELECT "key" FROM outbox ORDER BY "key"')]


def _session_insert(key: str) -> object:
    return insert(OutboxRow).values(chat_id=9, payload=PAYLOAD, due_at=T0, attempts=0, key=key)


async def test_direct_statements_alone_leave_sqlalchemy_out_and_commit_on_the_driver(
    db: Database, statements: Counter[str]
) -> None:
    async with db.uow() as uow:
        await _INSERT.run(uow._require(), _row(7, T0, "direct"))
        assert await committed_keys(db) == []
        await uow.commit()
    assert await committed_keys(db) == ["direct"]
    assert statements == Counter(), statements


@pytest.mark.parametrize("direct_first", [True, False])
async def test_direct_and_session_statements_commit_as_one_transaction(
    db: Database, direct_first: bool
) -> None:
    async with db.uow() as uow:
        session = uow._require()
        for step in ("direct", "session") if direct_first else ("session", "direct"):
            if step == "direct":
                await _INSERT.run(session, _row(7, T0, "direct"))
            else:
                await session.execute(_session_insert("session"))
        # Both statements see each other: one connection, one transaction.
        assert (await _READ.run(session, {"chat_id": 9})).rows
        assert (await session.execute(select(func.count()).select_from(OutboxRow))).scalar() == 2
        assert await committed_keys(db) == []
        await uow.commit()
    assert await committed_keys(db) == ["direct", "session"]


@pytest.mark.parametrize("direct_first", [True, False])
async def test_leaving_without_commit_drops_both_kinds(db: Database, direct_first: bool) -> None:
    async with db.uow() as uow:
        session = uow._require()
        if direct_first:
            await _INSERT.run(session, _row(7, T0, "direct"))
            await session.execute(_session_insert("session"))
        else:
            await session.execute(_session_insert("session"))
            await _INSERT.run(session, _row(7, T0, "direct"))
    assert await committed_keys(db) == []
    async with db.uow() as uow:  # the same connection, clean: a new transaction commits
        await _INSERT.run(uow._require(), _row(7, T0, "next"))
        await uow.commit()
    assert await committed_keys(db) == ["next"]


async def test_a_unit_of_work_goes_on_after_its_commit_and_rolls_back_the_rest(
    db: Database,
) -> None:
    async with db.uow() as uow:
        session = uow._require()
        await session.execute(_session_insert("first"))
        await uow.commit()
        await _INSERT.run(session, _row(7, T0, "second"))
        await uow.commit()
        await _INSERT.run(session, _row(7, T0, "dropped"))
        await session.execute(_session_insert("dropped too"))
        await uow.rollback()
        await session.execute(_session_insert("third"))
        await uow.commit()
    assert await committed_keys(db) == ["first", "second", "third"]


async def test_a_failed_unit_of_work_hands_back_a_connection_with_nothing_open(
    db: Database,
) -> None:
    async def failing_step() -> None:
        async with db.uow() as uow:
            await _INSERT.run(uow._require(), _row(7, T0, "lost"))
            raise RuntimeError("step failed")

    with pytest.raises(RuntimeError, match="step failed"):
        await failing_step()
    assert db.connections is not None
    connection = await db.connections.take()
    try:
        assert not connection.driver.in_transaction
    finally:
        await db.connections.give_back(connection)
    assert await committed_keys(db) == []


@sqlite_only
async def test_a_cancelled_unit_of_work_stays_cancelled_and_its_connection_is_not_reused(
    db: Database,
) -> None:
    other = sqlite3.connect(make_url(db.url).database or "", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process's writer: the statement waits on it
    waiting = asyncio.Event()

    async def write() -> None:
        async with db.uow() as uow:
            waiting.set()
            await uow._require().execute(_session_insert("cancelled"))

    task = asyncio.create_task(write())
    try:
        await asyncio.wait_for(waiting.wait(), 10)
        await asyncio.sleep(0.2)
        # SQLAlchemy closes a connection whose statement a cancellation interrupted; the unit
        # of work must neither turn the cancellation into an error about that connection nor
        # hand the connection to the next one.
        task.cancel()
        other.execute("COMMIT")
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 20)
    finally:
        other.close()
    async with db.uow() as uow:
        await uow._require().execute(_session_insert("session"))
        await _INSERT.run(uow._require(), _row(7, T0, "direct"))
        await uow.commit()
    assert await committed_keys(db) == ["direct", "session"]


async def test_the_next_unit_of_work_on_a_connection_sees_nothing_the_last_one_kept(
    db: Database,
) -> None:
    async with db.uow() as uow:
        inserted = (await _INSERT.run(uow._require(), _row(7, T0, "k"))).rows[0].id
        loaded = await uow._require().get(OutboxRow, inserted)  # now in the identity map,
        assert loaded is not None
        assert loaded.attempts == 0
        await uow.commit()  # and kept there by the commit (expire_on_commit=False)
    async with db.uow() as uow:
        await uow.users.touch(6, "en", "dropped", T0)  # remembered by the session, rolled back
    await outside(db, "UPDATE outbox SET attempts = 3")
    async with db.uow() as uow:  # the same connection and session, handed on
        assert await uow.users.get(6) is None
        reloaded = await uow._require().get(OutboxRow, inserted)
        assert reloaded is not None
        assert reloaded.attempts == 3


@sqlite_only
async def test_units_of_work_at_once_each_have_a_connection_and_take_turns_writing(
    db: Database,
) -> None:
    async with db.uow() as first, db.uow() as second:
        await _INSERT.run(first._require(), _row(7, T0, "first"))  # holds the write lock
        waiting = asyncio.create_task(_INSERT.run(second._require(), _row(8, T0, "second")))
        await asyncio.sleep(0.1)
        assert not waiting.done()
        await first.commit()
        await asyncio.wait_for(waiting, 10)
        await second.commit()
    assert await committed_keys(db) == ["first", "second"]


async def test_connections_are_reused_and_past_the_limit_taking_waits_for_one(
    db: Database,
) -> None:
    connections = Connections(db.url, size=2, timeout=0.3)
    try:
        a, b = await connections.take(), await connections.take()
        assert a.driver is not b.driver
        waiting = asyncio.create_task(connections.take())
        await asyncio.sleep(0.05)
        assert not waiting.done()
        await connections.give_back(b)
        assert (await asyncio.wait_for(waiting, 5)) is b  # handed on, not opened anew
        with pytest.raises(NoConnectionFree):
            await connections.take()
        # One that cannot be used again is closed; the room it leaves opens another.
        waiting = asyncio.create_task(connections.take())
        await asyncio.sleep(0.05)
        await connections.give_back(a, usable=False)
        assert a.driver.closed
        c = await asyncio.wait_for(waiting, 5)
        assert c.driver is not a.driver
        assert not c.driver.closed
        await connections.give_back(c)
        assert (await connections.take()) is c
    finally:
        await connections.close()
    assert b.driver.closed
    assert c.driver.closed
    with pytest.raises(RuntimeError, match="closed"):
        await connections.take()


async def test_idle_connections_past_the_kept_few_are_closed_once_unused_a_while(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connections_module, "KEEP_IDLE", 1)
    monkeypatch.setattr(connections_module, "CLOSE_IDLE_AFTER", 0.2)
    connections = Connections(db.url, size=4)
    try:
        a, b, c = [await connections.take() for _ in range(3)]
        for connection in (a, b, c):
            await connections.give_back(connection)
        assert not any(x.driver.closed for x in (a, b, c))  # just used: all kept
        await asyncio.sleep(0.3)
        # The least recently used go; the one kept is the last given back.
        assert (await connections.take()) is c
        assert a.driver.closed
        assert b.driver.closed
        async with db.uow() as uow:  # the rest of the suite's connections work as before
            await _INSERT.run(uow._require(), _row(7, T0, "after"))
            await uow.commit()
        await connections.give_back(c)
        assert not c.driver.closed
    finally:
        await connections.close()
    assert await committed_keys(db) == ["after"]


async def test_a_waiter_cancelled_as_it_is_handed_a_connection_passes_it_on(
    db: Database,
) -> None:
    connections = Connections(db.url, size=1)
    try:
        held = await connections.take()
        waiting = asyncio.create_task(connections.take())
        await asyncio.sleep(0.05)
        await connections.give_back(held)  # handed to the waiter ...
        waiting.cancel()  # ... which is cancelled before it runs again
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert (await asyncio.wait_for(connections.take(), 1)) is held
    finally:
        await connections.close()


@postgres_only
async def test_a_cancelled_statement_on_postgresql_stays_cancelled_and_the_next_one_commits(
    db: Database,
) -> None:
    started = asyncio.Event()

    async def sleep() -> None:
        async with db.uow() as uow:
            await _INSERT.run(uow._require(), _row(7, T0, "cancelled"))
            started.set()
            await _SLEEP.run(uow._require(), {})

    task = asyncio.create_task(sleep())
    await asyncio.wait_for(started.wait(), 10)
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 20)
    async with db.uow() as uow:
        await _INSERT.run(uow._require(), _row(7, T0, "direct"))
        await uow._require().execute(_session_insert("session"))
        await uow.commit()
    assert await committed_keys(db) == ["direct", "session"]


@postgres_only
async def test_a_unit_of_work_of_one_statement_on_postgresql_commits_as_it_runs(
    db: Database,
) -> None:
    async with db.uow() as uow:
        uow.one_statement()
        await _INSERT.run(uow._require(), _row(7, T0, "alone"))
        # No transaction was begun around it: the server committed it already.
        assert not uow._connection.driver.in_transaction  # type: ignore[union-attr]
        assert await committed_keys(db) == ["alone"]
        await uow.commit()
    # Declared but not used (a session statement came first): the next unit of work on the
    # connection, and this one, are transactions as always.
    async with db.uow() as uow:
        uow.one_statement()
        await uow._require().execute(_session_insert("session"))
        await _INSERT.run(uow._require(), _row(7, T0, "dropped"))
    async with db.uow() as uow:
        await _INSERT.run(uow._require(), _row(7, T0, "dropped too"))
    assert await committed_keys(db) == ["alone"]


async def _backend_pid(db: Database) -> int:
    async with db.uow() as uow:
        pid: int = (await _BACKEND_PID.run(uow._require(), {})).rows[0].pid
    return pid


async def _terminate(db: Database, pid: int) -> None:
    """Ends the server process of one connection, as a restart or a proxy would."""
    await outside(db, "SELECT pg_terminate_backend($1)", pid)
    for _ in range(100):
        if not await outside(db, "SELECT 1 FROM pg_stat_activity WHERE pid = $1", pid):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"server process {pid} still runs")


@postgres_only
async def test_an_idle_connection_the_server_dropped_is_replaced_before_use(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await _backend_pid(db)
    await _terminate(db, first)
    monkeypatch.setattr(connections_module, "PING_AFTER_IDLE", 0.0)  # idle long enough
    assert await _backend_pid(db) != first


@postgres_only
async def test_a_connection_that_died_in_use_fails_its_unit_of_work_and_is_not_reused(
    db: Database,
) -> None:
    first = await _backend_pid(db)
    await _terminate(db, first)  # used a moment ago: handed out again without a ping
    with pytest.raises(DBAPIError):
        await _backend_pid(db)
    assert await _backend_pid(db) != first


@postgres_only
async def test_a_connection_long_open_is_replaced(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await _backend_pid(db)
    monkeypatch.setattr(connections_module, "RECYCLE_AFTER", 0.0)
    assert await _backend_pid(db) != first
