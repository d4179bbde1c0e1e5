"""Every Alembic revision upgrades and downgrades cleanly, and the head matches the models."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from storage.db import make_engine
from storage.migrate import downgrade, revisions, upgrade
from storage.models import Base

pytestmark = pytest.mark.usefixtures("backend")


async def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def _diff(url: str) -> list[Any]:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, Base.metadata))

    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(compare)
    finally:
        await engine.dispose()


def test_revisions_form_a_single_line_starting_at_0001() -> None:
    assert revisions()[0] == "0001"


async def test_stairway_every_revision_upgrades_downgrades_and_upgrades_again(
    empty_database: str,
) -> None:
    previous = "base"
    for revision in revisions():
        await upgrade(empty_database, revision)
        await downgrade(empty_database, previous)
        await upgrade(empty_database, revision)
        previous = revision
    await downgrade(empty_database, "base")
    assert await _tables(empty_database) == {"alembic_version"}


async def test_the_migrated_schema_matches_the_models(empty_database: str) -> None:
    await upgrade(empty_database)
    assert await _tables(empty_database) == set(Base.metadata.tables) | {"alembic_version"}
    assert await _diff(empty_database) == []
