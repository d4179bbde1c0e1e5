"""The connections the bot's units of work run on, each the one connection of an engine of its own.

A unit of work on SQLAlchemy's session pays for the session's transaction, the connection it
checks out and hands back (with PostgreSQL, a ping before each), and the greenlet bridge for
each of those steps: about 460 µs of CPU on SQLite on a 2-core machine, against 25 µs for
SQLite to begin, write one row and commit, and 900 µs on PostgreSQL, against 190 µs for asyncpg
alone. An update runs two or three units of work. Most of them run only the statements every
update runs (storage/repositories/_direct.py), which need the driver connection and nothing
else.

So a unit of work (storage/uow.py) takes a connection from here and runs its direct statements
on the driver connection itself (storage/sqlite_driver.py, storage/pg_driver.py), beginning
and committing there. Only a statement that goes through the session brings SQLAlchemy in, and
then on the same connection and inside the same transaction: each connection here is the one
connection of an engine of its own (`StaticPool`), so a session on that engine can only ever
use it, and its BEGIN joins a transaction the direct statements began.

No SQLAlchemy pool hands out a connection without its checkout bookkeeping, and none lets a
session join a transaction begun on the driver; hence this small free list. What SQLAlchemy's
pool did for PostgreSQL it does too: a connection idle for a while is pinged before it is
handed out, and one open for half an hour is replaced, as servers and proxies drop them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool

from storage.db import make_session_factory, sqlite_engine
from storage.pg_driver import PgConnection
from storage.sqlite_driver import OneHopConnection

log = logging.getLogger(__name__)

# At most this many connections are open, and they stay open (opening one takes 3 ms and a
# thread on SQLite, a few round trips on PostgreSQL). SQLite's units of work take turns at the
# write lock anyway (storage/sqlite_driver.py), so more would only wait there; a burst (the
# sender's deliveries to a hundred chats, each ending with its sent mark) waits for one to be
# free. As SQLAlchemy's pool did: 5 + 10 overflow (10 + 10 on PostgreSQL), 30 s.
SIZE = 16
TAKE_TIMEOUT = 30.0
# Beyond the KEEP_IDLE most recently used, an idle connection unused for CLOSE_IDLE_AFTER
# seconds is closed as a connection is taken or given back (the bot's own loops do both every
# few seconds). A burst, or start-up's loops beginning at once, opens all SIZE of them; kept
# for good they held a thread each on SQLite and a server process each on PostgreSQL, for a
# bot that mostly waits. (SQLite itself keeps a closed connection's file descriptor open while
# others of the process hold locks on the file, and reuses it for the next one it opens.)
KEEP_IDLE = 4
CLOSE_IDLE_AFTER = 60.0
# PostgreSQL: a connection idle this long is pinged before use; one this old is replaced.
PING_AFTER_IDLE = 10.0
RECYCLE_AFTER = 1800.0

Driver = OneHopConnection | PgConnection


class NoConnectionFree(Exception):
    """Every connection stayed in use for TAKE_TIMEOUT."""


def connections_for(url: str) -> Connections | None:
    """The connections for units of work on `url`: None for another database than an SQLite
    file or PostgreSQL (each connection to SQLite's ":memory:" would be a database of its
    own); those units of work run on their sessions alone."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql" and parsed.get_driver_name() == "asyncpg":
        return Connections(url)
    if backend != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Connections(url)


@dataclass(eq=False)
class Connection:
    """One driver connection with the engine (and its sessions) that uses only it."""

    driver: Driver
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    # What the units of work on this connection keep for the next one (storage/uow.py).
    kept: dict[str, Any] = field(default_factory=dict)
    opened_at: float = field(default_factory=time.monotonic)
    used_at: float = field(default_factory=time.monotonic)


class Connections:
    """Up to `size` `Connection`s to one database, the most recently used first."""

    def __init__(self, url: str, size: int = SIZE, timeout: float = TAKE_TIMEOUT) -> None:
        self._url = url
        self._size = size
        self._timeout = timeout
        self._idle: list[Connection] = []
        self._open: set[Connection] = set()
        self._opening = 0
        # Who waits for a connection, first come first served: each is handed one (or None when
        # one was closed instead, making room to open another).
        self._waiters: deque[asyncio.Future[Connection | None]] = deque()
        self._closed = False

    async def take(self) -> Connection:
        """An idle connection, a new one, or the next one handed back; it is the caller's until
        `give_back`. NoConnectionFree when all stay in use for the timeout."""
        while True:
            if self._closed:
                raise RuntimeError("the database connections are closed")
            await self._close_unused()
            if self._idle:
                connection = self._idle.pop()
                if await self._still_good(connection):
                    return connection
                await self._close_one(connection)
                continue
            if len(self._open) + self._opening < self._size:
                return await self._open_new()
            waiter: asyncio.Future[Connection | None] = (
                asyncio.get_running_loop().create_future()
            )
            self._waiters.append(waiter)
            try:
                async with asyncio.timeout(self._timeout):
                    handed = await waiter
            except BaseException as exc:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                elif waiter.done() and not waiter.cancelled() and waiter.result() is not None:
                    self._hand_on(waiter.result())  # handed one as the wait ended: not kept
                if isinstance(exc, TimeoutError):
                    raise NoConnectionFree(
                        f"all {self._size} database connections stayed in use"
                        f" for {self._timeout:g} s"
                    ) from None
                raise
            if handed is not None:
                return handed

    async def give_back(self, connection: Connection, *, usable: bool = True) -> None:
        """Returns a connection that holds no transaction, to the first who waits or the idle
        list; one that is not `usable` (its rollback failed) or closed already (SQLAlchemy
        closes a connection a cancelled statement left in doubt) is closed."""
        if usable and not connection.driver.closed and not self._closed:
            connection.used_at = time.monotonic()
            self._hand_on(connection)
            await self._close_unused()
            return
        await self._close_one(connection)
        self._hand_on(None)

    async def close(self) -> None:
        """Closes every connection, idle or not (the process is stopping)."""
        self._closed = True
        self._idle.clear()
        for connection in list(self._open):
            await self._close_one(connection)
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    def _hand_on(self, connection: Connection | None) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        if connection is not None:
            self._idle.append(connection)

    async def _close_unused(self) -> None:
        """Closes the idle connections past KEEP_IDLE unused for CLOSE_IDLE_AFTER (the least
        recently used are first in the idle list)."""
        idle = self._idle
        now = time.monotonic()
        while len(idle) > KEEP_IDLE and now - idle[0].used_at > CLOSE_IDLE_AFTER:
            await self._close_one(idle.pop(0))

    async def _open_new(self) -> Connection:
        self._opening += 1
        try:
            connection = await self._open_one()
        finally:
            self._opening -= 1
        self._open.add(connection)
        return connection

    async def _open_one(self) -> Connection:
        postgres = make_url(self._url).get_backend_name() == "postgresql"
        engine = (
            create_async_engine(self._url, poolclass=StaticPool)
            if postgres
            else sqlite_engine(self._url, poolclass=StaticPool)
        )
        try:
            # Connects now, with no transaction open: SQLAlchemy's first use of an engine reads
            # the server's version and then rolls back, which must never meet a transaction the
            # direct statements began.
            async with engine.connect() as connection:
                raw = await connection.get_raw_connection()
                adapter, native = raw.dbapi_connection, raw.driver_connection
        except BaseException:
            await engine.dispose()
            raise
        driver: Driver
        if postgres:
            driver = PgConnection(adapter)
        elif isinstance(native, OneHopConnection):
            driver = native
        else:  # pragma: no cover - sqlite_engine's own
            await engine.dispose()
            raise TypeError(f"not the one-hop SQLite driver: {native!r}")
        return Connection(driver, engine, make_session_factory(engine))

    async def _still_good(self, connection: Connection) -> bool:
        """Whether an idle connection may be handed out: SQLite's always; PostgreSQL's unless
        it is due for replacement or, idle for a while, fails a ping."""
        driver = connection.driver
        if not isinstance(driver, PgConnection):
            return True
        now = time.monotonic()
        if now - connection.opened_at > RECYCLE_AFTER:
            return False
        if now - connection.used_at > PING_AFTER_IDLE:
            try:
                await driver.ping()
            except Exception:
                idle = now - connection.used_at
                log.info("a PostgreSQL connection idle for %.0f s is gone", idle)
                return False
            connection.used_at = now
        return True

    async def _close_one(self, connection: Connection) -> None:
        self._open.discard(connection)
        try:
            await connection.engine.dispose()
        except Exception:
            log.exception("closing a database connection failed")
