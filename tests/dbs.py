"""The test-database switch: TEST_DATABASE=sqlite (default) or postgres says where tests keep rows.

On PostgreSQL every test gets its own throwaway database, cloned from one migrated template per
test process (CREATE DATABASE ... TEMPLATE takes a fraction of a second, migrating takes seconds),
and dropped when the test ends. `python -m tests.dbs [paths]` exits 0 when the PostgreSQL run
can go ahead, else prints one line saying it skips those paths and why.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.db import make_engine
from storage.migrate import upgrade

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
_template: str | None = None  # the migrated template database's name, made once per process
_this_tests_databases: dict[str, str] = {}  # database file path -> PostgreSQL database name


def backend() -> str:
    """The backend tests should use: "sqlite" or "postgres" (from TEST_DATABASE)."""
    value = os.environ.get("TEST_DATABASE", "sqlite").strip().lower() or "sqlite"
    if value not in ("sqlite", "postgres"):
        raise ValueError(f"TEST_DATABASE must be sqlite or postgres, not {value!r}")
    return value


def admin_url() -> str:
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


async def _execute(statement: str) -> None:
    engine = make_engine(admin_url()).execution_options(isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql(statement)
    finally:
        await engine.dispose()


def _url_for(database: str) -> str:
    return make_url(admin_url()).set(database=database).render_as_string(False)


async def _migrated_template() -> str:
    global _template
    if _template is None:
        name = f"bot_template_{uuid.uuid4().hex[:12]}"
        await _execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        atexit.register(lambda: asyncio.run(_execute(f'DROP DATABASE IF EXISTS "{name}"')))
        await upgrade(_url_for(name))
        _template = name
    return _template


@asynccontextmanager
async def fresh_database_url(tmp_path: Path, name: str = "bot.db") -> AsyncIterator[str]:
    """Yields the URL of a migrated database on the chosen backend, empty on first use.

    The same tmp_path and name give the same database again within a test (a restarted bot finds
    its rows, as with an SQLite file); PostgreSQL ones are dropped when the test ends.
    """
    tmp_path.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - as make_engine does for SQLite
    if backend() == "sqlite":
        url = f"sqlite+aiosqlite:///{(tmp_path / name).resolve()}"
        await upgrade(url)
        yield url
        return
    key = str((tmp_path / name).resolve())
    if key not in _this_tests_databases:
        database = f"bot_test_{uuid.uuid4().hex[:12]}"
        await _execute(f'CREATE DATABASE "{database}" TEMPLATE "{await _migrated_template()}"')
        _this_tests_databases[key] = database
    yield _url_for(_this_tests_databases[key])


@pytest.fixture(autouse=True)
def _drop_this_tests_databases() -> Iterator[None]:
    """Drops the PostgreSQL databases a test made, after every other fixture has let go of them."""
    yield
    if _this_tests_databases:
        names = list(_this_tests_databases.values())
        _this_tests_databases.clear()
        for database in names:
            asyncio.run(_execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


@pytest.fixture
async def fresh_db_url(tmp_path: Path) -> AsyncIterator[str]:
    """A migrated, empty database on the backend TEST_DATABASE names (see fresh_database_url)."""
    async with fresh_database_url(tmp_path) as url:
        yield url


def pytest_report_header() -> str:
    return f"test database: {backend()} (TEST_DATABASE)"


async def unreachable_reason() -> str | None:
    """Why the PostgreSQL at TEST_POSTGRES_URL cannot be used, or None when it can."""
    engine = make_engine(admin_url())
    try:
        async with asyncio.timeout(5), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # any driver or network error means "no usable server"
        return f"{type(exc).__name__}: {exc}"
    finally:
        await engine.dispose()
    return None


if __name__ == "__main__":
    reason = asyncio.run(unreachable_reason())
    if reason is not None:
        skipped = " ".join(sys.argv[1:]) or "the PostgreSQL run"
        sys.exit(f"== SKIPPED on PostgreSQL: {skipped}; {admin_url()} is unreachable ({reason})")
