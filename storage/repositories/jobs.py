"""The durable job table: reminders, deadline checks, evidence downloads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.jobs import Job
from storage.models import JobRow
from storage.repositories._direct import DirectStatement
from storage.repositories._sql import insert_for

# last_error is for operators reading the table, not a log: keep it bounded.
MAX_ERROR_LENGTH = 2000


class SqlJobRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self, kind: str, due_at: datetime, payload: Mapping[str, Any], key: str | None = None
    ) -> None:
        """Schedules a job; a job with the same non-None key is not added twice."""
        params = {"kind": kind, "key": key, "payload": dict(payload), "due_at": due_at}
        await _ADD.run(self._session, params)

    async def has(self, key: str) -> bool:
        found = await self._session.execute(select(JobRow.id).where(JobRow.key == key).limit(1))
        return found.first() is not None

    async def cancel(self, key_prefix: str, at: datetime) -> int:
        """Marks every pending job whose key starts with `key_prefix` done; returns how many.

        Jobs a worker holds right now are marked too: a run already under way cannot be
        stopped, but a failed run is not retried (retry leaves done_at alone). Raises
        ValueError for an empty prefix, which would cancel every keyed job.
        """
        if not key_prefix:
            raise ValueError("an empty key prefix would cancel every keyed job")
        stmt = (
            update(JobRow)
            .where(
                JobRow.done_at.is_(None),
                # autoescape: keys are built from case numbers and kinds such as
                # "buyer_decision", and in LIKE an unescaped "_" matches any one character
                # and "%" any run, so a prefix could cancel other cases' jobs.
                JobRow.key.startswith(key_prefix, autoescape=True),
                # SQLite's LIKE ignores ASCII case; this exact comparison keeps the match
                # case-sensitive there too, as it is on PostgreSQL.
                func.substr(JobRow.key, 1, len(key_prefix)) == key_prefix,
            )
            .values(done_at=at, locked_by=None, locked_until=None)
            .execution_options(synchronize_session=False)
        )
        result = await self._session.execute(stmt)
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def claim_due(
        self,
        now: datetime,
        worker_id: str,
        lease: timedelta,
        limit: int,
        kinds: Sequence[str] | None = None,
    ) -> list[Job]:
        """Locks up to `limit` due jobs for `worker_id` until now + lease, oldest due first."""
        candidates = (
            select(JobRow.id)
            .where(
                JobRow.done_at.is_(None),
                JobRow.due_at <= now,
                or_(JobRow.locked_until.is_(None), JobRow.locked_until <= now),
            )
            .order_by(JobRow.due_at, JobRow.id)
            .limit(limit)
            # PostgreSQL: concurrent claimers skip rows another transaction is claiming instead
            # of waiting for it (and re-check the lease on rows that changed meanwhile).
            # SQLite renders no FOR UPDATE; it needs none, as it runs one writer at a time.
            .with_for_update(skip_locked=True)
        )
        if kinds is not None:
            candidates = candidates.where(JobRow.kind.in_(list(kinds)))
        table = JobRow.__table__.c
        stmt = (
            update(JobRow)
            .where(JobRow.id.in_(candidates.scalar_subquery()))
            .values(locked_by=worker_id, locked_until=now + lease)
            .returning(table.id, table.kind, table.payload, table.due_at, table.attempts)
            .execution_options(synchronize_session=False)
        )
        rows = (await self._session.execute(stmt)).all()
        jobs = [
            Job(id=r.id, kind=r.kind, payload=dict(r.payload), due_at=r.due_at, attempts=r.attempts)
            for r in rows
        ]
        # RETURNING promises no order.
        return sorted(jobs, key=lambda job: (job.due_at, job.id))

    async def complete(self, job_id: int, at: datetime) -> None:
        await self._session.execute(
            update(JobRow)
            .where(JobRow.id == job_id)
            .values(done_at=at, locked_by=None, locked_until=None)
            .execution_options(synchronize_session=False)
        )

    async def retry(self, job_id: int, at: datetime, error: str, next_due: datetime) -> None:
        # `at` is accepted for symmetry with complete(); the row keeps no "failed at" column.
        await self._session.execute(
            update(JobRow)
            .where(JobRow.id == job_id)
            .values(
                attempts=JobRow.attempts + 1,
                last_error=error[:MAX_ERROR_LENGTH],
                due_at=next_due,
                locked_by=None,
                locked_until=None,
            )
            .execution_options(synchronize_session=False)
        )


def _build_add(dialect: str) -> Any:
    return (
        insert_for(dialect, JobRow)
        .values(
            kind=bindparam("kind"),
            key=bindparam("key"),
            payload=bindparam("payload"),
            due_at=bindparam("due_at"),
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=[JobRow.__table__.c.key])
    )


# A submitted complaint schedules several (deadline, reminders, downloads): run directly.
_ADD = DirectStatement(_build_add)
