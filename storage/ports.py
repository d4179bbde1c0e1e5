"""Infrastructure repositories beyond what the domain asks for in `cases.ports`.

The bot's worker loops and update handling use these; the domain never does, which is why they
live here and not in `cases/`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from cases.ports import JobRepository
from storage.jobs import Job


class JobQueue(JobRepository, Protocol):
    """The worker side of the job table: claim with a lease, then complete or retry."""

    async def claim_due(
        self,
        now: datetime,
        worker_id: str,
        lease: timedelta,
        limit: int,
        kinds: Sequence[str] | None = None,
    ) -> list[Job]:
        """Locks up to `limit` due jobs for `worker_id` until now + lease, oldest due first.

        A job is due when it is not done, its due_at has come and no live lease holds it. Two
        workers never get the same job while the lease lasts; a worker that dies loses its
        jobs to others when the lease runs out. Commit right after claiming.
        """
        ...

    async def complete(self, job_id: int, at: datetime) -> None:
        """Marks the job done; it is never claimed again."""
        ...

    async def retry(self, job_id: int, at: datetime, error: str, next_due: datetime) -> None:
        """Releases the job after a failed run: attempts + 1, error kept, due again at next_due."""
        ...


class ProcessedUpdateRepository(Protocol):
    async def mark_processed(self, update_id: int, at: datetime) -> bool:
        """Records the update id; False when it had been recorded before."""
        ...
