"""The statements every update runs, compiled once and handed to the SQLite driver directly.

SQLAlchemy spends about 90 µs of CPU around each statement on SQLite (the greenlet bridge, the
compiled-cache key, the result machinery: 120–160 µs a statement against 30 µs for the hand-off
to the driver's thread itself), more than the statement costs; an update runs a dozen of them.
A `DirectStatement` is a Core statement compiled once per dialect; on SQLite it runs on the
session's own connection, inside the transaction SQLAlchemy began there (so a commit, a
rollback or a crash treats it as every other statement of the unit of work), with the column
types' own bind and result conversions, so the values read and written are exactly the ones
SQLAlchemy would, and on the event loop's thread whenever its transaction holds the write lock
(storage/sqlite_driver.py, `run_inline`). On other databases it runs through the session as
usual.

A statement made direct must not use expanding (IN-list) parameters, and its parameters must
all be named bind parameters or values fixed in the statement.
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from storage.sqlite_driver import OneHopConnection

# The session's driver connection, with the transaction it was taken in (session.info).
_DRIVER = "direct_driver"
# The driver connection a unit of work runs on (storage/sqlite_connections.py), whose session
# uses no other (session.info).
_ON_DRIVER = "on_driver"

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
    results: tuple[_Processor, ...]
    row: Any  # the namedtuple class of a row


class DirectStatement:
    """`build(dialect name)`'s statement, built once per backend, run as the module says."""

    def __init__(self, build: Callable[[str], Executable]) -> None:
        self._build = build
        self._built: dict[str, Executable] = {}
        self._compiled: _Compiled | None = None

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
        compiled = self._compiled
        if compiled is None:
            dialect = _dialect(session)
            compiled = self._compiled = _compile(self.statement(dialect.name), dialect)
        values = []
        for name, process in zip(compiled.names, compiled.binds, strict=True):
            value = params[name] if name in params else compiled.defaults[name]
            values.append(value if process is None else process(value))
        try:
            await driver.take_write_turn()
            outcome = driver.run_inline(compiled.sql, values)
            if outcome is None:  # another connection holds the write lock: wait on the thread
                outcome = await driver.run_statement(compiled.sql, values, many=False)
            _, raw, rowcount, _ = outcome
        except sqlite3.Error as exc:
            # As SQLAlchemy would raise it (IntegrityError, OperationalError ...).
            raise DBAPIError.instance(compiled.sql, values, exc, sqlite3.Error) from exc
        row, results = compiled.row, compiled.results
        rows = [
            row(*(v if p is None else p(v) for v, p in zip(r, results, strict=True))) for r in raw
        ]
        return Outcome(rows, rowcount)


def _dialect(session: AsyncSession) -> Dialect:
    return session.get_bind().dialect


def run_on_driver(session: AsyncSession, driver: OneHopConnection) -> None:
    """Has direct statements run on `driver` itself, the one connection of the session's
    engine, beginning there unless a transaction is open (storage/sqlite_connections.py)."""
    session.sync_session.info[_ON_DRIVER] = driver


async def _driver(session: AsyncSession) -> OneHopConnection | None:
    """The driver connection of the session's current transaction (begun if it was not), or
    None when the session is not on the SQLite driver."""
    sync = session.sync_session
    own: OneHopConnection | None = sync.info.get(_ON_DRIVER)
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
    compiled: Any = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    names = tuple(compiled.positiontup or ())
    binds = tuple(
        _impl(compiled.binds[name].type, dialect).bind_processor(dialect) for name in names
    )
    columns = list(getattr(statement, "exported_columns", ()))
    results = tuple(
        _impl(column.type, dialect).result_processor(dialect, None) for column in columns
    )
    row = namedtuple("row", [column.key for column in columns], rename=True)  # type: ignore[misc]
    return _Compiled(compiled.string, names, dict(compiled.params), binds, results, row)


def _impl(kind: Any, dialect: Dialect) -> Any:
    # The type as the dialect runs it (a TypeDecorator with its implementation's conversions),
    # which is what SQLAlchemy takes each processor from.
    return kind.dialect_impl(dialect)
