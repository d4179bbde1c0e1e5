"""Storage fixtures: every repository test runs on SQLite (a temp file) and on PostgreSQL.

PostgreSQL comes from TEST_POSTGRES_URL. The suite creates its own throwaway database there
(so parallel runs and other suites never see each other's rows), migrates it once per session
and empties every table before each test; SQLite gets a copy of a migrated template file.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.connections import Connections, connections_for
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import Base
from storage.uow import SqlUnitOfWork

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
# For the few tests about PostgreSQL's own behaviour (row locks, concurrent readers).
postgres_only = pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)]
)


@dataclass
class Database:
    backend: str
    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    # The units of work run as the bot's do (storage/connections.py).
    connections: Connections | None = None

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.sessions, self.connections)


class PostgresServer:
    """Creates and drops uniquely named databases on the server named by TEST_POSTGRES_URL."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url

    def url_for(self, database: str) -> str:
        return make_url(self.admin_url).set(database=database).render_as_string(False)

    async def create(self, prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        await self._execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return self.url_for(name)

    async def drop(self, url: str) -> None:
        await self._execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')

    async def _execute(self, statement: str) -> None:
        engine = make_engine(self.admin_url).execution_options(isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.exec_driver_sql(statement)
        finally:
            await engine.dispose()


async def _reachable(url: str) -> str | None:
    engine = make_engine(url)
    try:
        async with asyncio.timeout(5), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # any driver or network error means "no usable server"
        return f"{type(exc).__name__}: {exc}"
    finally:
        await engine.dispose()
    return None


@pytest.fixture(scope="session")
def postgres_server() -> PostgresServer:
    url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    problem = asyncio.run(_reachable(url))
    if problem is not None:
        pytest.skip(f"PostgreSQL at TEST_POSTGRES_URL={url} is unreachable ({problem})")
    return PostgresServer(url)


@pytest.fixture(scope="session")
def migrated_postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    url = asyncio.run(postgres_server.create("storage_test"))
    try:
        asyncio.run(upgrade(url))
        yield url
    finally:
        asyncio.run(postgres_server.drop(url))


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    asyncio.run(upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database with no rows in it."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("migrated_sqlite_template")
        target = tmp_path / "complaint_bot.db"
        shutil.copyfile(template, target)
        return f"sqlite+aiosqlite:///{target}"
    return str(request.getfixturevalue("migrated_postgres_url"))


@pytest.fixture
async def db(backend: str, database_url: str) -> AsyncIterator[Database]:
    engine = make_engine(database_url)
    connections = connections_for(database_url)
    try:
        if backend == "postgres":
            # DELETE beats TRUNCATE on tables this small (TRUNCATE rewrites files, ~10x slower).
            async with engine.begin() as connection:
                for table in reversed(Base.metadata.sorted_tables):
                    await connection.execute(table.delete())
        yield Database(backend, database_url, engine, make_session_factory(engine), connections)
    finally:
        if connections is not None:
            await connections.close()
        await engine.dispose()


@pytest.fixture
def empty_database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database without any tables (not even Alembic's), dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = asyncio.run(server.create("storage_empty"))
    try:
        yield url
    finally:
        asyncio.run(server.drop(url))
