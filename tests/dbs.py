"""The test-database switch: TEST_DATABASE=sqlite (default) or postgres says where tests keep rows.

Every test gets databases of its own, migrated and empty, without paying for a migration each:
on SQLite a copy of one migrated template file per test process; on PostgreSQL a database cloned
from one migrated template database per test process. A PostgreSQL database is not dropped when
its test ends (CREATE and DROP DATABASE each wait for the disk, about a second together): its
connections are closed, every row deleted and every sequence restarted, and the next test gets
it back as a fresh clone would be; one whose schema the test changed is dropped instead.
Tests marked `backend_independent` keep no rows on the database TEST_DATABASE names (they use
none, or their own on each backend): the PostgreSQL run leaves them out, as it would repeat them
unchanged, and one that asks for that database fails, on either run.
`python -m tests.dbs [paths]` exits 0 when the PostgreSQL run can go ahead, else prints one
line saying it skips those paths and why.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import Base

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
_template: str | None = None  # the migrated template database's name, made once per process
_template_schema = ""  # its schema's fingerprint (see _schema_of)
_sqlite_template: Path | None = None  # the migrated template file, made once per process
_this_tests_databases: dict[str, str] = {}  # database file path -> PostgreSQL database name
_emptied: list[str] = []  # PostgreSQL databases earlier tests used, emptied for the next ones
_running_backend_independent = False  # whether the running test is marked backend_independent
# What this test process made and removes when its pytest session ends (pytest_unconfigure, not
# atexit: pytest-xdist's workers leave without running atexit handlers).
_cleanups: list[Callable[[], None]] = []
BACKEND_INDEPENDENT = "backend_independent"
# The other connections to the database these statements run in: ended, counted.
_END_OTHERS = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)
_COUNT_OTHERS = (
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)
# Every column, index and constraint of the public schema, and the migration it is at.
_SCHEMA = """
SELECT md5(string_agg(part, ';' ORDER BY part)) FROM (
    SELECT concat_ws(' ', table_name, column_name, data_type, is_nullable, column_default)
    FROM information_schema.columns WHERE table_schema = 'public'
    UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
    UNION ALL SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace
    UNION ALL SELECT 'at ' || version_num FROM alembic_version
) AS schema(part)
"""


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


async def _migrated_sqlite_template() -> Path:
    global _sqlite_template
    if _sqlite_template is None:
        folder = Path(tempfile.mkdtemp(prefix="bot-template-"))
        _cleanups.append(lambda: shutil.rmtree(folder, ignore_errors=True))
        path = folder / "template.db"
        await upgrade(f"sqlite+aiosqlite:///{path}")
        _sqlite_template = path
    return _sqlite_template


async def _migrated_template() -> str:
    global _template, _template_schema
    if _template is None:
        name = f"bot_template_{uuid.uuid4().hex[:12]}"
        await _execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        _cleanups.append(lambda: asyncio.run(_drop_emptied()))
        _cleanups.append(lambda: asyncio.run(_execute(f'DROP DATABASE IF EXISTS "{name}"')))
        await upgrade(_url_for(name))
        engine = make_engine(_url_for(name))
        try:
            async with engine.connect() as connection:
                _template_schema = await _schema_of(connection)
        finally:
            await engine.dispose()
        _template = name
    return _template


async def _schema_of(connection: AsyncConnection) -> str:
    return str((await connection.exec_driver_sql(_SCHEMA)).scalar_one())


async def _empty_for_the_next_test(database: str) -> bool:
    """Closes the database's connections, deletes its rows, restarts its sequences.

    False (nothing deleted) when its schema is no longer the template's.
    """
    engine = make_engine(_url_for(database))
    try:
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.exec_driver_sql(_END_OTHERS)
            # Terminated backends go at once but not instantly: wait until none is left, so
            # nothing commits behind the deletes.
            for _ in range(600):
                if not (await connection.exec_driver_sql(_COUNT_OTHERS)).scalar_one():
                    break
                await asyncio.sleep(0.05)
        async with engine.begin() as connection:
            if await _schema_of(connection) != _template_schema:
                return False
            for table in reversed(Base.metadata.sorted_tables):
                await connection.execute(table.delete())
            sequences = await connection.exec_driver_sql(
                "SELECT quote_ident(sequence_name) FROM information_schema.sequences "
                "WHERE sequence_schema = 'public'"
            )
            for (sequence,) in sequences.all():
                await connection.exec_driver_sql(f"ALTER SEQUENCE {sequence} RESTART")
    finally:
        await engine.dispose()
    return True


async def _drop_emptied() -> None:
    while _emptied:
        await _execute(f'DROP DATABASE IF EXISTS "{_emptied.pop()}" WITH (FORCE)')


@asynccontextmanager
async def fresh_database_url(tmp_path: Path, name: str = "bot.db") -> AsyncIterator[str]:
    """Yields the URL of a migrated database on the chosen backend, empty on first use.

    The same tmp_path and name give the same database again within a test (a restarted bot finds
    its rows, as with an SQLite file); PostgreSQL ones are emptied for other tests when the test
    ends.
    """
    if _running_backend_independent:
        raise RuntimeError(
            f"a test marked {BACKEND_INDEPENDENT} asks for the database TEST_DATABASE names; "
            "remove the mark, so that the PostgreSQL run covers it"
        )
    tmp_path.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - as make_engine does for SQLite
    if backend() == "sqlite":
        path = (tmp_path / name).resolve()
        url = f"sqlite+aiosqlite:///{path}"
        if path.exists():
            await upgrade(url)
        else:
            shutil.copyfile(await _migrated_sqlite_template(), path)
        yield url
        return
    key = str((tmp_path / name).resolve())
    if key not in _this_tests_databases:
        if _emptied:
            database = _emptied.pop()
        else:
            database = f"bot_test_{uuid.uuid4().hex[:12]}"
            await _execute(f'CREATE DATABASE "{database}" TEMPLATE "{await _migrated_template()}"')
        _this_tests_databases[key] = database
    yield _url_for(_this_tests_databases[key])


@pytest.fixture(autouse=True)
def _empty_this_tests_databases(request: pytest.FixtureRequest) -> Iterator[None]:
    """Empties the PostgreSQL databases a test used for the next tests (drops any whose schema
    the test changed), after every other fixture has let go of them."""
    global _running_backend_independent
    _running_backend_independent = request.node.get_closest_marker(BACKEND_INDEPENDENT) is not None
    try:
        yield
    finally:
        _running_backend_independent = False
    if _this_tests_databases:
        names = list(_this_tests_databases.values())
        _this_tests_databases.clear()
        for database in names:
            if asyncio.run(_empty_for_the_next_test(database)):
                _emptied.append(database)
            else:
                asyncio.run(_execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On the PostgreSQL run, leaves out the tests marked backend_independent."""
    if backend() != "postgres":
        return
    left_out = [item for item in items if item.get_closest_marker(BACKEND_INDEPENDENT)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker(BACKEND_INDEPENDENT)]


@pytest.fixture
async def fresh_db_url(tmp_path: Path) -> AsyncIterator[str]:
    """A migrated, empty database on the backend TEST_DATABASE names (see fresh_database_url)."""
    async with fresh_database_url(tmp_path) as url:
        yield url


def pytest_unconfigure() -> None:
    """Drops the template and the emptied databases, removes the SQLite template's folder."""
    while _cleanups:
        _cleanups.pop(0)()


def pytest_report_header() -> str:
    if backend() == "postgres":
        return f"test database: postgres (TEST_DATABASE), leaving out {BACKEND_INDEPENDENT} tests"
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
