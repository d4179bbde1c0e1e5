"""Small helpers shared by the repositories."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Base


def dialect_insert(session: AsyncSession, model: type[Base]) -> Any:
    """Returns an INSERT that supports ON CONFLICT for the session's backend.

    Both dialects spell `on_conflict_do_nothing` / `on_conflict_do_update` the same way, which
    is what lets "insert unless present" be one atomic statement instead of a racy
    select-then-insert.
    """
    name = session.get_bind().dialect.name
    table = cast(Table, model.__table__)
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
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
