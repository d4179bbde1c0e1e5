"""The background loops' reports: one row per process and loop, replaced on every report."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from cases.health import LoopStatus
from storage.models import WorkerLoopRow
from storage.ports import LoopReports


class SqlLoopReports:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def list(self) -> Sequence[LoopStatus]:
        rows = await self._session.scalars(
            select(WorkerLoopRow).order_by(WorkerLoopRow.worker_id, WorkerLoopRow.loop)
        )
        return [_status(row) for row in rows]

    async def report(self, worker_id: str, statuses: Sequence[LoopStatus]) -> None:
        # Delete and insert in one transaction: a loop that is gone leaves no stale row, and
        # only this process ever writes its own rows, so nothing else races the pair.
        await self.withdraw(worker_id)
        if statuses:
            await self._session.execute(
                insert(WorkerLoopRow),
                [
                    {
                        "worker_id": worker_id,
                        "loop": status.loop,
                        "started_at": status.started_at,
                        "reported_at": status.reported_at,
                        "last_success_at": status.last_success_at,
                        "last_error": status.last_error,
                        "last_error_at": status.last_error_at,
                        "failures": status.failures,
                        "stall_after": int(status.stall_after.total_seconds()),
                    }
                    for status in statuses
                ],
            )

    async def withdraw(self, worker_id: str) -> int:
        result = await self._session.execute(
            delete(WorkerLoopRow).where(WorkerLoopRow.worker_id == worker_id)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def forget(self, before: datetime) -> int:
        result = await self._session.execute(
            delete(WorkerLoopRow).where(WorkerLoopRow.reported_at < before)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def _status(row: WorkerLoopRow) -> LoopStatus:
    return LoopStatus(
        worker_id=row.worker_id,
        loop=row.loop,
        started_at=row.started_at,
        reported_at=row.reported_at,
        last_success_at=row.last_success_at,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
        failures=row.failures,
        stall_after=timedelta(seconds=row.stall_after),
    )


def _conforms(repository: SqlLoopReports) -> LoopReports:
    # Never called: makes mypy prove that the repository satisfies the protocol.
    return repository
