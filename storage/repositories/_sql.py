"""Small helpers shared by the repositories."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Base

T = TypeVar("T")


def dialect_insert(session: AsyncSession, model: type[Base]) -> Any:
    """Returns an INSERT that supports ON CONFLICT for the session's backend.

    Both dialects spell `on_conflict_do_nothing` / `on_conflict_do_update` the same way, which
    is what lets "insert unless present" be one atomic statement instead of a racy
    select-then-insert.
    """
    return insert_for(session.get_bind().dialect.name, model)


def prepared(build: Callable[[str], T]) -> Callable[[AsyncSession], T]:
    """The statement `build(dialect name)` makes, built once per backend and then reused.

    For the statements every update runs: building one (columns coerced, clauses generated)
    took longer than running it on SQLite in the inbound benchmark's profile, and SQLAlchemy
    caches the compiled SQL but not the building. Values go in as bind parameters.
    """
    built: dict[str, T] = {}

    def statement(session: AsyncSession) -> T:
        name = session.get_bind().dialect.name
        if name not in built:
            built[name] = build(name)
        return built[name]

    return statement


def table_of(model: type[Base]) -> Table:
    """The model's table, for Core statements: the session runs an INSERT or UPDATE of a
    mapped class given parameters as an ORM bulk statement, which direct statements are not."""
    return cast(Table, model.__table__)


def insert_for(name: str, model: type[Base]) -> Any:
    """`dialect_insert` for the backend called `name`."""
    table = table_of(model)
    # Each dialect imported when first used: a bot on SQLite never loads PostgreSQL's (2 MB).
    if name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    if name == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert support for the {name} dialect")


def constraint_name(exc: BaseException) -> str:
    """Returns the text that names the violated constraint in a driver's IntegrityError."""
    orig = getattr(exc, "orig", None)
    # asyncpg reports the constraint by name; SQLite only names the columns in its message.
    name = getattr(orig, "constraint_name", None) or getattr(
        getattr(orig, "__cause__", None), "constraint_name", None
    )
    return f"{name or ''} {orig}"
