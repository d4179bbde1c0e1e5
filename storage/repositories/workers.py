"""The live bot processes' heartbeat rows (bot/heartbeat.py decides what they mean)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import WorkerRow
from storage.ports import WorkerRecord, WorkerRegistry


class SqlWorkerRegistry:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def register(self, worker: WorkerRecord) -> None:
        await self._session.execute(
            delete(WorkerRow).where(WorkerRow.worker_id == worker.worker_id)
        )
        await self._session.execute(insert(WorkerRow).values(**asdict(worker)))

    async def beat(self, worker_id: str, life: str, at: datetime) -> bool:
        # One row, one short UPDATE a second; its row lock orders it against a takeover's
        # conditional DELETE, so exactly one of the two wins.
        result = await self._session.execute(
            update(WorkerRow)
            .where(WorkerRow.worker_id == worker_id, WorkerRow.life == life)
            .values(beats=WorkerRow.beats + 1, beat_at=at)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1

    async def list(self) -> Sequence[WorkerRecord]:
        rows = await self._session.scalars(select(WorkerRow).order_by(WorkerRow.worker_id))
        return [
            WorkerRecord(
                worker_id=row.worker_id,
                life=row.life,
                host=row.host,
                machine=row.machine,
                pid=row.pid,
                pid_started=row.pid_started,
                started_at=row.started_at,
                beat_at=row.beat_at,
                beats=row.beats,
            )
            for row in rows
        ]

    async def remove(self, worker_id: str, life: str, beats: int | None = None) -> bool:
        stmt = delete(WorkerRow).where(WorkerRow.worker_id == worker_id, WorkerRow.life == life)
        if beats is not None:
            stmt = stmt.where(WorkerRow.beats == beats)
        result = await self._session.execute(stmt.execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0) == 1


def _conforms(repository: SqlWorkerRegistry) -> WorkerRegistry:
    # Never called: makes mypy prove that the repository satisfies the protocol.
    return repository
