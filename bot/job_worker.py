"""A loop's worker for jobs that each make one thing once: claim, run, retry, give up.

Exports (bot/exports.py) and dossiers (bot/dossiers.py) are asked for in a chat and built off
the update path. Each claims its own kind of job under a lease, so several processes never build
the same one; a failure is retried with backoff, and after `max_attempts` the job is given up
(`gave_up` says so to whom it concerns) rather than retried forever.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from bot.backoff import Backoff
from bot.leases import LEASE

if TYPE_CHECKING:
    from bot.deps import Deps
    from storage.jobs import Job
    from storage.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

# 30 s, 1 min, 2 min … capped at 30 min: a database hiccup, or a disk that filled up.
backoff = Backoff(timedelta(seconds=30), cap=timedelta(minutes=30))


class OneShotWorker:
    kind: ClassVar[str]
    max_attempts: ClassVar[int] = 5

    def __init__(self, deps: Deps, worker_id: str) -> None:
        self.deps = deps
        self.worker_id = worker_id

    async def run_once(self, limit: int = 1) -> int:
        """Claims due jobs of this kind and runs each; returns how many were claimed."""
        now = self.deps.clock.now()
        async with self.deps.uow() as uow:
            jobs = await uow.jobs.claim_due(now, self.worker_id, LEASE, limit, kinds=[self.kind])
            await uow.commit()
        for job in jobs:
            try:
                await self.build(job)
            except Exception as exc:
                log.exception("%s job %s failed", self.kind, job.id)
                await self._retry(job, repr(exc))
        return len(jobs)

    async def build(self, job: Job) -> None:
        raise NotImplementedError

    async def gave_up(self, uow: SqlUnitOfWork, job: Job, now: datetime) -> None:
        """Queues what giving up says, in the transaction that completes the job."""

    async def after_giving_up(self, job: Job) -> None:
        """Cleans up after the job is given up (its files), once that is committed."""

    async def _retry(self, job: Job, error: str) -> None:
        now = self.deps.clock.now()
        giving_up = job.attempts + 1 >= self.max_attempts
        async with self.deps.uow() as uow:
            if giving_up:
                log.error(
                    "%s job %s gave up after %s tries: %s",
                    self.kind, job.id, self.max_attempts, error,
                )
                await uow.jobs.complete(job.id, now)
                await self.gave_up(uow, job, now)
            else:
                await uow.jobs.retry(job.id, now, error, now + backoff(job.attempts + 1))
            await uow.commit()
        if giving_up:
            self.deps.outbox_bell.ring(now)
            await self.after_giving_up(job)
