"""A unit of work's PostgreSQL connection, its direct statements sent to asyncpg itself.

Through SQLAlchemy's session a unit of work cost about 1,000 µs of CPU with one statement and
330 µs for each further one on a 2-core machine (the pool's checkout with its ping, the
session's transaction, the greenlet bridge and the result machinery around each statement);
asyncpg alone takes 190 µs for BEGIN, one statement and COMMIT, and 75 µs a statement. An
update runs about a dozen of them in two units of work.

So, as with SQLite (storage/connections.py), a unit of work on PostgreSQL runs on a connection
of its own, the one connection of an engine of its own, and its direct statements
(storage/repositories/_direct.py) go to asyncpg's prepared statement of the same connection,
inside the transaction SQLAlchemy's asyncpg adapter holds there: a session statement on that
connection joins the transaction the direct statements began, and the session's commit or
rollback ends both. The adapter's private members (`_transaction`, `_start_transaction`,
`_prepare`, `_execute_mutex`, `_handle_exception`) are what SQLAlchemy's own cursor uses; no
public API runs a prepared statement in the adapter's transaction. sqlalchemy is pinned below
2.2, and the tests of tests/storage run every direct statement on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, NoReturn

from sqlalchemy.exc import DBAPIError


class PgConnection:
    """SQLAlchemy's asyncpg adapter of one connection, as a unit of work's driver."""

    def __init__(self, adapter: Any) -> None:
        self._adapter = adapter  # sqlalchemy.dialects.postgresql.asyncpg's connection adapter
        # Send the next direct statement outside a transaction if none is open (`run`): set
        # by a unit of work of one statement (SqlUnitOfWork.one_statement), cleared at its end.
        self.next_alone = False

    @property
    def closed(self) -> bool:
        """Closed, by its owner, the server, or SQLAlchemy invalidating it."""
        connection = self._adapter._connection
        return connection is None or connection.is_closed()

    @property
    def in_transaction(self) -> bool:
        return self._adapter._transaction is not None

    def begin_for_direct(self) -> None:
        """Nothing to do: the first statement begins the transaction if none is open (`run`),
        as SQLAlchemy's cursor does, and a session statement joins it."""

    async def run(self, sql: str, values: Sequence[Any]) -> tuple[list[Any], int, Any]:
        """Runs `sql` in the open transaction, begun if none is: its rows (asyncpg's records),
        row count and the result's attributes (each column's type oid). Errors are raised as
        SQLAlchemy raises them (IntegrityError …)."""
        adapter = self._adapter
        try:
            async with adapter._execute_mutex:
                if adapter._transaction is None:
                    if self.next_alone:
                        # PostgreSQL commits it by itself: one round trip, not three.
                        self.next_alone = False
                    else:
                        await adapter._start_transaction()
                prepared, attributes = await adapter._prepare(
                    sql, adapter._invalidate_schema_cache_asof
                )
                rows = await prepared.fetch(*values)
                return rows, _rowcount(prepared.get_statusmsg(), len(rows)), attributes
        except Exception as error:
            self._raise_as_sqlalchemy_does(error, sql, values)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """Around a statement PostgreSQL may refuse: the refusal is rolled back to here and
        the transaction goes on (PostgreSQL aborts the whole transaction otherwise)."""
        await self.run("SAVEPOINT direct_refusable", ())
        try:
            yield
        except BaseException:
            await self.run("ROLLBACK TO SAVEPOINT direct_refusable", ())
            raise
        await self.run("RELEASE SAVEPOINT direct_refusable", ())

    async def commit(self) -> None:
        await self._end("commit")

    async def rollback(self) -> None:
        await self._end("rollback")

    async def ping(self) -> None:
        """A round trip outside any transaction; raises if the connection is gone."""
        await self._adapter._connection.fetchrow(";")

    async def _end(self, how: str) -> None:
        adapter = self._adapter
        transaction = adapter._transaction
        if transaction is None:
            return
        try:
            await adapter._call_and_discard(getattr(transaction, how))
        except Exception as error:
            self._raise_as_sqlalchemy_does(error, how.upper(), ())

    def _raise_as_sqlalchemy_does(
        self, error: Exception, sql: str, values: Sequence[Any]
    ) -> NoReturn:
        """Raises `error` as SQLAlchemy would (IntegrityError …): asyncpg's mapped to its DB-API
        error by the adapter first (which also forgets a transaction a closed connection
        lost), one the adapter raised already as it is; whatever else the adapter raises for
        it goes on."""
        adapter = self._adapter
        dbapi_error = adapter.dbapi.Error
        mapped = error
        if not isinstance(error, dbapi_error):
            try:
                adapter._handle_exception(error)  # raises the DB-API error it maps to
            except dbapi_error as exc:
                mapped = exc
        raise DBAPIError.instance(sql, values, mapped, dbapi_error) from error


def _rowcount(status: str | None, fetched: int) -> int:
    """The rows a statement changed or returned, from PostgreSQL's command tag ("UPDATE 3",
    "INSERT 0 1", "SELECT 2"), as SQLAlchemy's cursor reads it."""
    word, _, rest = (status or "").partition(" ")
    if word in ("UPDATE", "DELETE", "SELECT", "INSERT", "MERGE"):
        last = rest.rpartition(" ")[2]
        if last.isdigit():
            return int(last)
    return fetched if word == "SELECT" else -1
