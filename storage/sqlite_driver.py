"""aiosqlite with one hand-off to its thread per SQL statement instead of four.

SQLAlchemy's aiosqlite adapter creates a cursor, executes the statement, fetches the rows and
closes the cursor, each an await on aiosqlite's thread: four hand-offs between the event loop and
that thread (and the GIL passed back and forth) per statement, ~90 µs each on a 2-core machine.
The inbound benchmark's profile showed the event loop spending about 40 % of an update's time in
them. This connection keeps aiosqlite as it is (its thread, queue, connect and close) and only
changes the cursor: statement, rows, row count and cursor close happen in one call on the thread.
No SQLite driver for asyncio does this; SQLAlchemy's documented `async_creator` plugs it in.

A transaction's BEGIN (BEGIN IMMEDIATE, which storage/db.py asks for when SQLAlchemy begins
one: `begin_with_next_statement`) travels with the transaction's first statement instead of
taking a hand-off of its own: it takes the write lock just as early for everything the
transaction does, and a transaction that runs no statement (a unit of work that found nothing
to do) never takes the lock at all.

The statements every update runs (storage/repositories/_direct.py) skip even that one hand-off:
`run_inline` runs them on the event loop's thread once their transaction holds the write lock,
and such a transaction commits there too. Only taking the lock may wait, so that is tried
without waiting, and a statement that would have to wait goes to the thread as before. The one
other wait is the WAL checkpoint SQLite runs in the commit that grows the WAL past 1,000 pages
(every few thousand updates): a few milliseconds of writing, on whichever thread commits.

The connections of one process take the write lock in turn, first come first served
(`take_write_turn`): a transaction waits on an asyncio lock for the one before it to end, and
only then sends its BEGIN. Left to SQLite, a connection that found the lock taken slept in its
busy handler (1, 2, 5 … 100 ms at a time) while the event loop's thread took and released the
lock again and again: at 112 updates a second, 26 of 775 such waits took over 50 ms, the longest
730 ms (1 of 532 and 190 ms with the turns). The busy handler now only waits for other
processes.

The rows are fetched in full with the statement, as SQLAlchemy's adapter does anyway for
everything but server-side cursors (which nothing here uses).
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

import aiosqlite

_Outcome = tuple[Any, list[Any], int, int | None]


BEGIN = "BEGIN IMMEDIATE"

# Per event loop and database file: whose turn it is to write (the module's docstring).
_write_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def _write_turn(database: str) -> asyncio.Lock:
    turns = _write_turns.setdefault(asyncio.get_running_loop(), {})
    return turns.setdefault(database, asyncio.Lock())


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
    # Whether the open transaction ran a statement on the driver's thread (see run_inline).
    _threaded = False
    _busy_timeout_ms: int | None = None
    # The database file, whose write turn this connection takes (set by `connect`).
    database = ""
    # The write turn this connection holds, from its BEGIN to its commit or rollback.
    _turn: asyncio.Lock | None = None
    # The event loop it last took a turn on, with that loop's turns on its file.
    _turns: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
    # Whether SQLAlchemy's BEGIN joins the open transaction: a unit of work's direct statements
    # began it (`begin_for_direct`, storage/connections.py).
    _joinable = False

    def cursor(self) -> OneHopCursor:  # type: ignore[override]
        return OneHopCursor(self)

    async def commit(self) -> None:
        try:
            await self._commit()
        finally:
            self._give_back_turn()

    async def _commit(self) -> None:
        threaded, self._threaded, self._joinable = self._threaded, False, False
        if self._begin is not None:
            self._begin = None  # begun, nothing run: nothing to commit
            return
        if not threaded and self._conn.in_transaction:
            # Only short statements ran (run_inline): the commit appends their few pages to
            # the WAL (no fsync at synchronous=NORMAL) and waits for no lock, as the
            # transaction holds the write lock since its BEGIN.
            self._conn.commit()
            return
        await super().commit()

    async def rollback(self) -> None:
        try:
            await self._rollback()
        finally:
            self._give_back_turn()

    async def _rollback(self) -> None:
        threaded, self._begin, self._threaded, self._joinable = self._threaded, None, False, False
        # SQLAlchemy's pool rolls back every connection handed back to it, committed or not:
        # with no transaction open that is a hand-off to the thread for nothing.
        if not self._conn.in_transaction:
            return
        if threaded:
            await super().rollback()
        else:
            self._conn.rollback()  # as commit: only short statements to undo

    async def close(self) -> None:
        self._give_back_turn()
        await super().close()

    async def take_write_turn(self) -> None:
        """Before the statement that sends a held-back BEGIN: waits, in arrival order, until no
        other connection of this process to the file is in a transaction. Past the busy
        timeout it fails as SQLite would ("database is locked")."""
        if self._begin is None or self._turn is not None:
            return
        loop = asyncio.get_running_loop()
        if self._turns is None or self._turns[0] is not loop:
            self._turns = (loop, _write_turn(self.database))
        turn = self._turns[1]
        # Free with no one in line (asyncio's Lock names its line `_waiters`): taken at once.
        if turn.locked() or turn._waiters:
            try:
                async with asyncio.timeout(self._busy_timeout() / 1000):
                    await turn.acquire()
            except TimeoutError:
                raise sqlite3.OperationalError("database is locked") from None
        else:
            await turn.acquire()
        self._turn = turn

    def _give_back_turn(self) -> None:
        turn, self._turn = self._turn, None
        if turn is not None:
            turn.release()

    def _busy_timeout(self) -> int:
        if self._busy_timeout_ms is None:
            self._busy_timeout_ms = self._conn.execute("PRAGMA busy_timeout").fetchone()[0]
        return self._busy_timeout_ms

    @property
    def closed(self) -> bool:
        """Closed, by its owner or by SQLAlchemy invalidating it (a statement interrupted)."""
        return self._connection is None or not self._running

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open, or begun and waiting for its first statement."""
        if self.closed:
            return False
        return self._begin is not None or self._conn.in_transaction

    def begin_with_next_statement(self) -> None:
        """Begins a transaction (BEGIN IMMEDIATE), sent with its first statement; SQLAlchemy's
        BEGIN on a connection whose direct statements began one joins that one instead."""
        if self._joinable:
            return
        self._begin, self._threaded = BEGIN, False

    def begin_for_direct(self) -> None:
        """Begins a transaction for a unit of work's direct statements, unless one is open; a
        session on this connection then joins it (storage/connections.py)."""
        if not self.in_transaction:
            self._begin, self._threaded, self._joinable = BEGIN, False, True

    async def run_statement(self, sql: str, parameters: Any, *, many: bool) -> _Outcome:
        await self.take_write_turn()
        begin, self._begin = self._begin, None
        self._threaded = True
        try:
            outcome: _Outcome = await self._execute(
                _run, self._conn, begin, sql, parameters, many
            )
        except BaseException:
            if begin is not None and not self._conn.in_transaction:
                self._give_back_turn()  # the BEGIN itself failed: no transaction holds the turn
            raise
        return outcome

    def run_inline(self, sql: str, parameters: Any) -> _Outcome | None:
        """Runs a short statement (a lookup or a write of one row by key) on the calling thread,
        or returns None when it would have to wait for the write lock: the caller then hands it
        to the driver's thread (`run_statement`).

        A hand-off costs ten times what such a statement costs SQLite (~30 µs of CPU against
        ~3 µs, and the GIL passed to the thread and back). Within a transaction that holds the
        write lock (BEGIN IMMEDIATE) no statement waits for a lock, so the event loop is held
        for microseconds only. The BEGIN itself is tried without waiting: another connection,
        perhaps of this very process, may hold the lock, and waiting for it here would stop the
        event loop that connection needs to finish. Nothing else runs on the connection
        meanwhile: SQLAlchemy awaits each call on it before the next.
        """
        connection = self._conn
        if self._begin is not None:
            # The caller took this process's write turn (`take_write_turn`): only another
            # process can hold the lock now.
            if not self._begin_at_once(connection):
                return None
            self._begin = None
        elif not connection.in_transaction:
            return None  # no write lock held: the statement might wait for it
        return _run(connection, None, sql, parameters, False)

    def _begin_at_once(self, connection: sqlite3.Connection) -> bool:
        busy_timeout_ms = self._busy_timeout()
        connection.execute("PRAGMA busy_timeout=0")
        try:
            connection.execute(BEGIN)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                raise
            return False
        finally:
            connection.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        return True


def connect(database: str, **kwargs: Any) -> OneHopConnection:
    """An unstarted connection (SQLAlchemy awaits it, which opens it); `kwargs` as sqlite3's."""
    connection = OneHopConnection(lambda: sqlite3.connect(database, **kwargs), iter_chunk_size=64)
    connection.database = database
    # As SQLAlchemy does for aiosqlite's own connections: the thread never blocks exit.
    connection.daemon = True
    return connection
