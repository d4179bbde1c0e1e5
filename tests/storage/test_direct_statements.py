"""Statements run on the driver directly: the same values, transaction and errors as through
SQLAlchemy, without its statement machinery."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import bindparam, event, insert, make_url, select
from sqlalchemy.exc import IntegrityError

from storage.models import OutboxRow
from storage.repositories._direct import DirectStatement
from tests.storage.conftest import Database
from tests.storage.factories import T0

_COLUMNS = {name: bindparam(name) for name in ("chat_id", "payload", "key")}
_INSERT = DirectStatement.of(
    insert(OutboxRow.__table__)
    .values({**_COLUMNS, "due_at": bindparam("due"), "attempts": 0})
    .returning(OutboxRow.__table__.c.id, OutboxRow.__table__.c.due_at)
)
_READ = DirectStatement.of(
    select(OutboxRow.payload, OutboxRow.due_at, OutboxRow.attempts).where(
        OutboxRow.chat_id == bindparam("chat_id")
    )
)
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"])
PAYLOAD = {"locale": "zh_CN", "key": "buyer.hello", "params": {"name": "李华 <b>", "fen": 1999}}


@pytest.fixture
def statements(db: Database) -> Iterator[Counter[str]]:
    """Counts the statements SQLAlchemy itself executes, by their first word."""
    counted: Counter[str] = Counter()

    def note(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        counted[sql.split()[0]] += 1

    event.listen(db.engine.sync_engine, "before_cursor_execute", note)
    yield counted
    event.remove(db.engine.sync_engine, "before_cursor_execute", note)


async def test_values_come_back_as_sqlalchemy_reads_them(db: Database) -> None:
    due = T0 + timedelta(minutes=5)  # an aware +08:00 time, stored as UTC
    async with db.uow() as uow:
        session = uow._require()
        inserted = (await _INSERT.run(session, _row(7, due, "k1"))).rows
        assert inserted[0].due_at == due
        through_sqlalchemy = (
            await session.execute(select(OutboxRow.payload, OutboxRow.due_at, OutboxRow.id))
        ).one()
        assert through_sqlalchemy.payload == PAYLOAD
        assert through_sqlalchemy.due_at == due
        assert through_sqlalchemy.id == inserted[0].id
        (read,) = (await _READ.run(session, {"chat_id": 7})).rows
        assert (read.payload, read.due_at, read.attempts) == (PAYLOAD, due, 0)
        assert read.due_at.utcoffset() == timedelta(0)


async def test_they_commit_and_roll_back_with_the_unit_of_work(db: Database) -> None:
    async with db.uow() as uow:
        await _INSERT.run(uow._require(), _row(7, T0, "kept"))
        await uow.commit()
        await _INSERT.run(uow._require(), _row(7, T0, "dropped"))
        await uow.rollback()
    async with db.uow() as uow:
        async with db.uow() as other:
            await _INSERT.run(other._require(), _row(7, T0, "never committed"))
        rows = (await _READ.run(uow._require(), {"chat_id": 7})).rows
    assert len(rows) == 1


async def test_a_violated_constraint_is_sqlalchemys_integrity_error(db: Database) -> None:
    async with db.uow() as uow:
        await _INSERT.run(uow._require(), _row(7, T0, "same"))
        with pytest.raises(IntegrityError):
            await _INSERT.run(uow._require(), _row(8, T0, "same"))


async def test_sqlalchemy_runs_none_of_them(db: Database, statements: Counter[str]) -> None:
    async with db.uow() as uow:
        await _INSERT.run(uow._require(), _row(7, T0, "k"))
        await _READ.run(uow._require(), {"chat_id": 7})
        await uow.commit()
    # Not even the BEGIN: the unit of work's connection begins and commits on the driver.
    assert statements == Counter(), statements


def _row(chat_id: int, due: object, key: str) -> dict[str, object]:
    return {"chat_id": chat_id, "payload": PAYLOAD, "due": due, "key": key}


@pytest.fixture
def handoffs(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts the statements, commits and rollbacks handed to aiosqlite's thread (not a new
    connection's settings)."""
    counted: Counter[str] = Counter()
    original = aiosqlite.Connection._execute

    async def counting(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        name = getattr(fn, "__name__", repr(fn))
        setting = len(args) > 2 and str(args[2]).startswith("PRAGMA")
        if name in ("_run", "commit", "rollback") and not setting:
            counted[name] += 1
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counting)
    return counted


@sqlite_only
async def test_on_sqlite_a_transaction_of_them_runs_on_the_event_loop(
    db: Database, handoffs: Counter[str]
) -> None:
    async with db.uow() as uow:
        await _INSERT.run(uow._require(), _row(7, T0, "k"))
        await _READ.run(uow._require(), {"chat_id": 7})
        await uow.commit()
        await _READ.run(uow._require(), {"chat_id": 7})
        await uow.rollback()
    assert sum(handoffs.values()) == 0, handoffs


@sqlite_only
async def test_one_that_must_wait_for_the_write_lock_waits_its_turn_off_the_event_loop(
    db: Database, handoffs: Counter[str]
) -> None:
    async with db.uow() as holder:
        await _INSERT.run(holder._require(), _row(7, T0, "first"))  # holds the write lock
        async with db.uow() as waiter:
            waiting = asyncio.create_task(_INSERT.run(waiter._require(), _row(8, T0, "second")))
            await asyncio.sleep(0.2)
            # The event loop went on (this line runs) and the holder can finish.
            assert not waiting.done()
            await holder.commit()
            await asyncio.wait_for(waiting, 10)
            await waiter.commit()
    if db.backend == "sqlite":
        # It waited for this process's write turn, not in SQLite's busy handler on the thread.
        assert handoffs["_run"] == 0
    async with db.uow() as uow:
        assert len((await _READ.run(uow._require(), {"chat_id": 8})).rows) == 1


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_write_turns_go_in_arrival_order(db: Database) -> None:
    order: list[int] = []
    connected = [asyncio.Event() for _ in range(5)]
    go = [asyncio.Event() for _ in range(5)]

    async def write(n: int) -> None:
        async with db.uow() as uow:
            await uow._require().connection()  # the connection out of the pool, no lock yet
            connected[n].set()
            await go[n].wait()
            await _INSERT.run(uow._require(), _row(n, T0, f"k{n}"))
            order.append(n)
            await asyncio.sleep(0.01)  # holds the lock while the others queue
            await uow.commit()

    tasks = [asyncio.create_task(write(n)) for n in range(5)]
    for ready in connected:
        await asyncio.wait_for(ready.wait(), 10)
    for n in (0, 3, 1, 4, 2):  # they ask for the lock in this order
        go[n].set()
        await asyncio.sleep(0.001)
    await asyncio.wait_for(asyncio.gather(*tasks), 10)
    assert order == [0, 3, 1, 4, 2]


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_lock_another_process_holds_is_waited_for_on_the_drivers_thread(
    db: Database, handoffs: Counter[str]
) -> None:
    other = sqlite3.connect(make_url(db.url).database or "", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process's writer, outside this one's turns
        async with db.uow() as waiter:
            waiting = asyncio.create_task(_INSERT.run(waiter._require(), _row(8, T0, "second")))
            await asyncio.sleep(0.2)
            assert not waiting.done()  # and the event loop goes on
            other.execute("COMMIT")
            await asyncio.wait_for(waiting, 10)
            await waiter.commit()
    finally:
        other.close()
    assert handoffs["_run"] == 1  # SQLite's busy handler waited, on the thread
    async with db.uow() as uow:
        assert len((await _READ.run(uow._require(), {"chat_id": 8})).rows) == 1
