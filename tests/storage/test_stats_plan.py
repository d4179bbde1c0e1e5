"""The stats query reads the period's cases and their events, not every event there is."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from storage.repositories.stats import facts_statement
from tests.storage.conftest import Database
from tests.storage.factories import T0


@pytest.mark.parametrize("backend", ["sqlite"])  # the plan asked about is SQLite's
async def test_sqlite_starts_from_the_filing_time_index_and_scans_no_table(db: Database) -> None:
    stmt = facts_statement(T0 - timedelta(days=30), T0, None)
    compiled = stmt.compile(db.engine.sync_engine, compile_kwargs={"literal_binds": True})
    async with db.engine.connect() as connection:
        plan = [row[3] for row in await connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]
    assert not [step for step in plan if step.startswith("SCAN")], plan
    assert any("ix_cases_created_at" in step for step in plan), plan
