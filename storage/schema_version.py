"""Whether a database's schema is the newest this code knows, answered without loading Alembic.

The bot migrates its SQLite file on every start. Once the file is current (every start but the
first after an upgrade) Alembic has nothing to do, yet importing it and walking its scripts
leaves about 9 MB in the long-running process. So the bot asks here first and loads
storage.migrate only when there is something to migrate.

Revision ids are the four-digit prefixes of the files in migrations/versions (the migration tests
hold Alembic's own history to that), so the newest is the highest prefix, and a database is
current when its alembic_version table names exactly that one.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from storage.db import make_engine

VERSIONS_DIR = Path(__file__).resolve().parent / "migrations" / "versions"


def revision_ids() -> list[str]:
    """Every revision id, oldest first: the migration files' four-digit prefixes."""
    files = VERSIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.py")
    return sorted(path.name.split("_", 1)[0] for path in files)


def head_revision() -> str:
    """The newest revision id."""
    return revision_ids()[-1]


async def stamped_revisions(url: str) -> list[str]:
    """The revisions the database at `url` is at; none before its first migration."""
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_stamped)
    finally:
        await engine.dispose()


async def is_current(url: str) -> bool:
    """True when the database at `url` is at the newest revision, and upgrading would do nothing."""
    return await stamped_revisions(url) == [head_revision()]


def _stamped(connection: Connection) -> list[str]:
    if not inspect(connection).has_table("alembic_version"):
        return []
    rows = connection.execute(text("SELECT version_num FROM alembic_version"))
    return [str(revision) for revision in rows.scalars()]
