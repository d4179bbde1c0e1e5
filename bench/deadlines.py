"""Deadlines: the time of one scheduler tick (find and claim the due jobs) against a small and
a big database, SQLite. The tick is DeadlineWorker's own claim (`uow.jobs.claim_due` with its
kinds and limit, in its own transaction); firing the jobs is the dialogs' work, not the scan's.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.seed import NOW, copy_of, seeded
from bot.deadlines import KINDS, LEASE
from storage.db import make_engine, make_session_factory
from storage.models import JobRow
from storage.uow import SqlUnitOfWork

TICKS = 30
LIMIT = 20  # DeadlineWorker.run_once's default


async def tick_times(database: Path) -> list[float]:
    engine = make_engine(f"sqlite+aiosqlite:///{database}")
    factory = make_session_factory(engine)
    times: list[float] = []
    try:
        for _ in range(3):  # warm the connection and the page cache, as a running bot has
            await _tick(factory)
            await _release(engine)
        for _ in range(TICKS):
            started = time.perf_counter()
            claimed = await _tick(factory)
            times.append((time.perf_counter() - started) * 1000)
            if claimed == 0:
                raise RuntimeError("the seeded database has no due jobs")
            await _release(engine)
    finally:
        await engine.dispose()
    return times


async def _release(engine: AsyncEngine) -> None:
    """Hands the claimed jobs back (not timed), so every tick finds the same due jobs."""
    async with engine.begin() as connection:
        await connection.execute(
            update(JobRow)
            .where(JobRow.locked_by == "bench")
            .values(locked_by=None, locked_until=None)
        )


async def _tick(factory: Any) -> int:
    async with SqlUnitOfWork(factory) as uow:
        jobs = await uow.jobs.claim_due(NOW, "bench", LEASE, LIMIT, kinds=list(KINDS))
        await uow.commit()
    return len(jobs)


async def run(small: int, big: int, workdir: Path) -> dict[str, Any]:
    result: dict[str, Any] = {"ticks": TICKS, "claim_limit": LIMIT}
    for label, cases in (("small", small), ("big", big)):
        started = time.perf_counter()
        source = await seeded(cases, 0.1)
        seeding = time.perf_counter() - started
        folder = workdir / label
        folder.mkdir(parents=True, exist_ok=True)
        times = await tick_times(copy_of(source, folder))
        result[label] = {
            "cases": cases,
            "open_cases": round(cases * 0.1),
            "seed_s": round(seeding, 1),
            "tick_median_ms": round(statistics.median(times), 3),
            "tick_p90_ms": round(sorted(times)[int(0.9 * (len(times) - 1))], 3),
        }
    result["ratio"] = round(result["big"]["tick_median_ms"] / result["small"]["tick_median_ms"], 2)
    return result
