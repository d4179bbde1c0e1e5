"""The statements every update runs, compiled once and handed to the driver directly.

SQLAlchemy spends about 90 µs of CPU around each statement on SQLite (the greenlet bridge, the
compiled-cache key, the result machinery: 120–160 µs a statement against 30 µs for the hand-off
to the driver's thread itself), more than the statement costs; an update runs a dozen of them.
On PostgreSQL it is about 250 µs more than asyncpg's own 75 µs (storage/pg_driver.py).

A `DirectStatement` is a Core statement compiled once per dialect; it runs on the session's own
connection, inside the transaction SQLAlchemy began there or that the unit of work's connection
began for it (so a commit, a rollback or a crash treats it as every other statement of the
unit of work), with the column types' own bind and result conversions, so the values read and
written are exactly the ones SQLAlchemy would. On SQLite it runs on the event loop's thread
whenever its transaction holds the write lock (storage/sqlite_driver.py, `run_inline`); on
PostgreSQL as asyncpg's prepared statement, the one SQLAlchemy's adapter would use. A session
on neither driver (a unit of work not on storage/connections.py's connections, over another
driver) runs it through the session as usual.

A statement made direct must not use expanding (IN-list) parameters, and its parameters must
all be named bind parameters or values fixed in the statement.
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable, Insert

from storage.pg_driver import PgConnection
from storage.sqlite_driver import OneHopConnection

# The session's driver connection, with the transaction it was taken in (session.info).
_DRIVER = "direct_driver"
# The driver connection a unit of work runs on (storage/connections.py), whose session uses no
# other (session.info).
_ON_DRIVER = "on_driver"

Driver = OneHopConnection | PgConnection

_Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class Outcome:
    """What a statement returned: its rows (attribute access by column name) and row count."""

    rows: Sequence[Any]
    rowcount: int


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    defaults: Mapping[str, Any]
    binds: tuple[_Processor, ...]
    results: tuple[_Processor, ...] | None  # None: not known before the first result
    row: Any  # the namedtuple class of a row
    columns: tuple[Any, ...]


class DirectStatement:
    """`build(dialect name)`'s statement, built once per backend, run as the module says."""

    def __init__(self, build: Callable[[str], Executable]) -> None:
        self._build = build
        self._built: dict[str, Executable] = {}
        self._compiled: dict[str, _Compiled] = {}

    @classmethod
    def of(cls, statement: Executable) -> DirectStatement:
        """The same statement on every backend."""
        return cls(lambda _: statement)

    def statement(self, dialect: str) -> Executable:
        if dialect not in self._built:
            self._built[dialect] = self._build(dialect)
        return self._built[dialect]

    async def run(self, session: AsyncSession, params: Mapping[str, Any]) -> Outcome:
        driver = await _driver(session)
        if driver is None:
            statement = self.statement(_dialect(session).name)
            result: Any = await session.execute(statement, dict(params))
            if not getattr(result, "returns_rows", True):  # DML without RETURNING
                return Outcome([], result.rowcount)
            rows = result.all()
            return Outcome(rows, len(rows))
        dialect = _dialect(session)
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = _compile(self.statement(dialect.name), dialect)
            self._compiled[dialect.name] = compiled
        values = []
        for name, process in zip(compiled.names, compiled.binds, strict=True):
            value = params[name] if name in params else compiled.defaults[name]
            values.append(value if process is None else process(value))
        if isinstance(driver, PgConnection):
            raw, rowcount, attributes = await driver.run(compiled.sql, values)
            results = compiled.results
            if results is None:
                # asyncpg's adapter picks a column's conversion by the type the server reports.
                results = _results(compiled.columns, dialect, [a.type.oid for a in attributes])
                self._compiled[dialect.name] = replace(compiled, results=results)
        else:
            raw, rowcount = await _on_sqlite(driver, compiled.sql, values)
            results = compiled.results or ()
        row = compiled.row
        rows = [
            row(*(v if p is None else p(v) for v, p in zip(r, results, strict=True))) for r in raw
        ]
        return Outcome(rows, rowcount)


async def _on_sqlite(driver: OneHopConnection, sql: str, values: list[Any]) -> tuple[Any, int]:
    try:
        await driver.take_write_turn()
        outcome = driver.run_inline(sql, values)
        if outcome is None:  # another connection holds the write lock: wait on the thread
            outcome = await driver.run_statement(sql, values, many=False)
        _, raw, rowcount, _ = outcome
    except sqlite3.Error as exc:
        # As SQLAlchemy would raise it (IntegrityError, OperationalError ...).
        raise DBAPIError.instance(sql, values, exc, sqlite3.Error) from exc
    return raw, rowcount


@asynccontextmanager
async def refusable(session: AsyncSession) -> AsyncIterator[None]:
    """Around a direct statement the database may refuse, leaving the transaction usable: a
    statement SQLite refuses changes nothing and ends nothing else (its statement-level
    ABORT); PostgreSQL's aborts the transaction unless a SAVEPOINT takes the refusal."""
    driver = await _driver(session)
    if isinstance(driver, OneHopConnection) or (driver is None and _is_sqlite(session)):
        yield
    elif isinstance(driver, PgConnection):
        async with driver.savepoint():
            yield
    else:
        async with session.begin_nested():
            await session.connection()  # SQLAlchemy sends the SAVEPOINT with its first use
            yield


def _is_sqlite(session: AsyncSession) -> bool:
    return _dialect(session).name == "sqlite"


def _dialect(session: AsyncSession) -> Dialect:
    return session.get_bind().dialect


def run_on_driver(session: AsyncSession, driver: Driver) -> None:
    """Has direct statements run on `driver` itself, the one connection of the session's
    engine, beginning there unless a transaction is open (storage/connections.py)."""
    session.sync_session.info[_ON_DRIVER] = driver


async def _driver(session: AsyncSession) -> Driver | None:
    """The driver connection of the session's current transaction (begun if it was not), or
    None when the session is on neither driver of storage/connections.py."""
    sync = session.sync_session
    own: Driver | None = sync.info.get(_ON_DRIVER)
    if own is not None:
        own.begin_for_direct()
        return own
    if _dialect(session).name != "sqlite":
        return None
    held = sync.info.get(_DRIVER)
    transaction = sync.get_transaction()
    if held is not None and transaction is not None and held[0] is transaction:
        driver: OneHopConnection = held[1]
        return driver
    connection = await session.connection()  # begins the transaction (storage/db.py)
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection  # type: ignore[assignment]
    if not isinstance(driver, OneHopConnection):
        return None
    sync.info[_DRIVER] = (sync.get_transaction(), driver)
    return driver


def _compile(statement: Executable, dialect: Dialect) -> _Compiled:
    columns = tuple(getattr(statement, "exported_columns", ()))
    if isinstance(statement, Insert) and not columns:
        # Without it PostgreSQL's compiler adds RETURNING of the primary key, which SQLAlchemy
        # reads for `inserted_primary_key` and nothing here wants.
        statement = statement.inline()
    compiled: Any = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    names = tuple(compiled.positiontup or ())
    binds = tuple(
        _impl(compiled.binds[name].type, dialect).bind_processor(dialect) for name in names
    )
    # SQLite's conversions do not depend on the type the driver reports; asyncpg's do.
    sqlite = dialect.name == "sqlite"
    results = _results(columns, dialect, [None] * len(columns)) if sqlite else None
    row = namedtuple("row", [column.key for column in columns], rename=True)  # type: ignore[misc]
    return _Compiled(compiled.string, names, dict(compiled.params), binds, results, row, columns)


def _results(
    columns: Sequence[Any], dialect: Dialect, reported: Sequence[Any]
) -> tuple[_Processor, ...]:
    return tuple(
        _impl(column.type, dialect).result_processor(dialect, kind)
        for column, kind in zip(columns, reported, strict=True)
    )


def _impl(kind: Any, dialect: Dialect) -> Any:
    # The type as the dialect runs it (a TypeDecorator with its implementation's conversions),
    # which is what SQLAlchemy takes each processor from.
    return kind.dialect_impl(dialect)
