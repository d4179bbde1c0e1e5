"""Schema migrations as a library call: `await upgrade(url)`, `await downgrade(url, "base")`.

The Alembic configuration is built here from the packaged storage/alembic.ini and the package's
own migrations directory, so migrating works from any working directory and in an installed
wheel.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from storage.db import make_engine

_PACKAGE_DIR = Path(__file__).resolve().parent
ALEMBIC_INI = _PACKAGE_DIR / "alembic.ini"
MIGRATIONS_DIR = _PACKAGE_DIR / "migrations"

_Action = Callable[[Config], None]


def alembic_config(url: str) -> Config:
    """Returns the Alembic configuration for `url`, independent of the working directory."""
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # The ini parser treats "%" as interpolation; URL-encoded passwords contain it.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def revisions() -> list[str]:
    """Returns every revision id, oldest first."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


async def upgrade(url: str, revision: str = "head") -> None:
    """Upgrades the database at `url` to `revision` (creating an SQLite file if needed)."""
    await _run(url, lambda config: command.upgrade(config, revision))


async def downgrade(url: str, revision: str) -> None:
    """Downgrades the database at `url` to `revision` ("base" removes every table)."""
    await _run(url, lambda config: command.downgrade(config, revision))


async def _run(url: str, action: _Action) -> None:
    config = alembic_config(url)
    engine = make_engine(url)
    try:
        # One transaction for the whole run: a failing migration leaves the schema as it was
        # (both PostgreSQL and SQLite have transactional DDL).
        async with engine.begin() as connection:
            await connection.run_sync(_with_connection, config, action)
    finally:
        await engine.dispose()


def _with_connection(connection: Connection, config: Config, action: _Action) -> None:
    config.attributes["connection"] = connection
    action(config)
