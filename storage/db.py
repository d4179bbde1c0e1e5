"""Engine and session factory for the two supported shapes: SQLite file or PostgreSQL."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, cast

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from storage import sqlite_driver

DATABASE_FILE_NAME = "complaint_bot.db"
# How long an SQLite writer waits for the file lock before failing with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 10_000
# Each SQLite connection's page cache, in KiB (SQLite's default is 2,000). In WAL mode a
# connection drops its whole cache whenever another one has committed since its last read, and
# with a dozen connections taking turns that is nearly every transaction: the cache serves
# within one transaction, where 128 pages hold an update's working set, and a bigger one only
# kept memory. With 100,000 cases the bot grew 18 MB above an empty database with the default
# (its connections' caches filled by start-up's sweeps), 8 MB with this; the /stats report,
# which scans the cases several times in one transaction, took 4 % longer (1.45 -> 1.51 s).
SQLITE_CACHE_KIB = 512


def default_database_url(data_dir: Path) -> str:
    """Returns the SQLite URL of the single-machine shape: one file under `data_dir`."""
    return f"sqlite+aiosqlite:///{data_dir / DATABASE_FILE_NAME}"


def make_engine(url: str) -> AsyncEngine:
    """Creates the engine for `url` (sqlite+aiosqlite or postgresql+asyncpg)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return sqlite_engine(parsed)
    if parsed.get_backend_name() == "postgresql":
        return create_async_engine(
            parsed,
            pool_size=10,
            max_overflow=10,
            pool_timeout=30,
            # Servers and proxies drop idle connections; check before use, renew every 30 min.
            pool_pre_ping=True,
            pool_recycle=1800,
        )
    return create_async_engine(parsed)


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # Objects are mapped to domain dataclasses before the session ends, so nothing needs
    # reloading after commit.
    return async_sessionmaker(engine, expire_on_commit=False)


def sqlite_engine(url: str | URL, **engine_options: Any) -> AsyncEngine:
    """An engine on the SQLite file `url` over the one-hop driver (storage/sqlite_driver.py);
    `engine_options` as create_async_engine's (storage/connections.py asks for a pool of
    one connection)."""
    url = make_url(url)
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    # The file, and sqlite3's options, exactly as SQLAlchemy would open them itself.
    args, options = url.get_dialect()().create_connect_args(url)
    connect = partial(sqlite_driver.connect, *args, **options)
    engine = create_async_engine(url, async_creator=connect, **engine_options)
    event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
    event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
    return engine


def _on_sqlite_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # The sqlite3 driver's legacy transaction handling skips BEGIN before SELECT and breaks
    # SAVEPOINT (needed to keep a unit of work usable after a failed insert); take over BEGIN
    # ourselves, as SQLAlchemy's SQLite documentation recommends.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets readers run while one writer writes; NORMAL sync is durable in WAL mode
        # except for the last transactions on power loss, never corrupting the file.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")  # negative: in KiB
    finally:
        cursor.close()


def _on_sqlite_begin(connection: Connection) -> None:
    # IMMEDIATE takes the write lock at the start of the transaction. With a deferred BEGIN a
    # unit of work that reads and then writes fails at once with SQLITE_BUSY (busy_timeout
    # does not apply) whenever another connection committed in between; taking the lock up
    # front makes writers queue behind busy_timeout instead. Transactions here are short.
    # Told to the driver (every SQLite connection here is one, `sqlite_engine`), which sends it
    # with the first statement: executing it through SQLAlchemy, only for the driver to hold it
    # back, cost about an eighth of a short unit of work's CPU.
    driver = cast(sqlite_driver.OneHopConnection, connection.connection.driver_connection)
    driver.begin_with_next_statement()
