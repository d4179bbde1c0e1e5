"""aiosqlite with one hand-off to its thread per SQL statement instead of four.

SQLAlchemy's aiosqlite adapter creates a cursor, executes the statement, fetches the rows and
closes the cursor, each an await on aiosqlite's thread: four hand-offs between the event loop and
that thread (and the GIL passed back and forth) per statement, ~90 µs each on a 2-core machine.
The inbound benchmark's profile showed the event loop spending about 40 % of an update's time in
them. This connection keeps aiosqlite as it is (its thread, queue, connect and close) and only
changes the cursor: statement, rows, row count and cursor close happen in one call on the thread.
No SQLite driver for asyncio does this; SQLAlchemy's documented `async_creator` plugs it in.

A transaction's BEGIN (storage/db.py sends BEGIN IMMEDIATE when SQLAlchemy begins one) travels
with the transaction's first statement instead of taking a hand-off of its own: it takes the
write lock just as early for everything the transaction does, and a transaction that runs no
statement (a unit of work that found nothing to do) never takes the lock at all.

The rows are fetched in full with the statement, as SQLAlchemy's adapter does anyway for
everything but server-side cursors (which nothing here uses).
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

import aiosqlite

_Outcome = tuple[Any, list[Any], int, int | None]


BEGIN = "BEGIN IMMEDIATE"
_NOTHING: _Outcome = (None, [], -1, None)


def _run(
    connection: sqlite3.Connection, begin: str | None, sql: str, parameters: Any, many: bool
) -> _Outcome:
    """Runs on aiosqlite's thread: the BEGIN held back for it, the statement, all its rows,
    then the cursor closed."""
    if begin is not None:
        connection.execute(begin)
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        elif parameters is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopCursor:
    """The part of aiosqlite's cursor SQLAlchemy's adapter uses, its results fetched ahead."""

    def __init__(self, connection: OneHopConnection) -> None:
        self._connection = connection
        self._rows: deque[Any] = deque()
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    async def __aenter__(self) -> OneHopCursor:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Any = None) -> OneHopCursor:
        return self._keep(await self._connection.run_statement(sql, parameters, many=False))

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> OneHopCursor:
        return self._keep(await self._connection.run_statement(sql, parameters, many=True))

    async def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        count = min(size or self.arraysize, len(self._rows))
        return [self._rows.popleft() for _ in range(count)]

    async def fetchall(self) -> Sequence[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def close(self) -> None:
        self._rows.clear()

    def _keep(self, outcome: _Outcome) -> OneHopCursor:
        self.description, rows, self.rowcount, self.lastrowid = outcome
        self._rows = deque(rows)
        return self


class OneHopConnection(aiosqlite.Connection):
    # The BEGIN the next statement runs first; SQLAlchemy runs one call at a time on a
    # connection, so reading and clearing it here races with nothing.
    _begin: str | None = None

    def cursor(self) -> OneHopCursor:  # type: ignore[override]
        return OneHopCursor(self)

    async def commit(self) -> None:
        if self._begin is not None:
            self._begin = None  # begun, nothing run: nothing to commit
            return
        await super().commit()

    async def rollback(self) -> None:
        self._begin = None
        # SQLAlchemy's pool rolls back every connection handed back to it, committed or not:
        # with no transaction open that is a hand-off to the thread for nothing.
        if self._conn.in_transaction:
            await super().rollback()

    async def run_statement(self, sql: str, parameters: Any, *, many: bool) -> _Outcome:
        if sql == BEGIN and not many and parameters in (None, (), []):
            self._begin = sql
            return _NOTHING
        begin, self._begin = self._begin, None
        outcome: _Outcome = await self._execute(_run, self._conn, begin, sql, parameters, many)
        return outcome


def connect(database: str, **kwargs: Any) -> OneHopConnection:
    """An unstarted connection (SQLAlchemy awaits it, which opens it); `kwargs` as sqlite3's."""
    connection = OneHopConnection(lambda: sqlite3.connect(database, **kwargs), iter_chunk_size=64)
    # As SQLAlchemy does for aiosqlite's own connections: the thread never blocks exit.
    connection.daemon = True
    return connection
