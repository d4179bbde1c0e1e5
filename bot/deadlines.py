"""Fires case reminders, deadlines, draft reminders and the weekly digest: claims due jobs, runs
each in a transaction.

Reminders and deadline expiries are rows in the job table (written with the transition that
set the deadline), so they survive restarts and any number of processes can share the work:
a job is claimed with a lease (FOR UPDATE SKIP LOCKED on PostgreSQL), and its effect — the
system's transition, the reminder or the one overdue alert in the outbox — commits together
with marking the job done, so it happens exactly once.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.backoff import Backoff
from bot.digest import DIGEST_JOB, send_digest
from bot.job_runs import complete_job
from bot.leases import LEASE
from cases.deadlines import DEADLINE_JOB, REMINDER_JOB
from cases.lifecycle import TransitionRefused
from cases.workflow import CaseNotFound, fire_deadline_job
from dialogs import draft_reminders
from dialogs.draft_reminders import DRAFT_REMINDER_JOB

if TYPE_CHECKING:
    from bot.deps import Deps
    from storage.jobs import Job

log = logging.getLogger(__name__)

KINDS = (REMINDER_JOB, DEADLINE_JOB, DRAFT_REMINDER_JOB, DIGEST_JOB)
MAX_ATTEMPTS = 10
IDLE = 1.0  # seconds between looks for due jobs when none was due (bot/runner.py)


# 10 s, 20 s, 40 s … capped at 10 min: a deadline must not slip far behind.
backoff = Backoff(timedelta(seconds=10), cap=timedelta(minutes=10))


class DeadlineWorker:
    def __init__(self, deps: Deps, worker_id: str) -> None:
        self.deps = deps
        self.worker_id = worker_id

    async def run_once(self, limit: int = 20) -> int:
        """Claims up to `limit` due jobs and fires each; returns how many were claimed."""
        now = self.deps.clock.now()
        async with self.deps.uow() as uow:
            jobs = await uow.jobs.claim_due(now, self.worker_id, LEASE, limit, kinds=list(KINDS))
            await uow.commit()
        for job in jobs:
            await self._fire(job)
        return len(jobs)

    async def _fire(self, job: Job) -> None:
        deps = self.deps
        if not await deps.liveness.wait_fresh():
            return  # taken over (bot/heartbeat.py): the job is another process's now
        try:
            async with deps.uow() as uow:
                if job.kind == DIGEST_JOB:
                    sent = await send_digest(uow, deps, job)
                    await uow.jobs.complete(job.id, deps.clock.now())
                    await uow.commit()
                    log.info("weekly digest %s: %s", job.id, "queued" if sent else "no staff chat")
                    return
                if job.kind == DRAFT_REMINDER_JOB:
                    reminded = await draft_reminders.fire(uow, deps.env, job.payload)
                    await uow.jobs.complete(job.id, deps.clock.now())
                    await uow.commit()
                    log.info("draft reminder %s: %s", job.id, "sent" if reminded else "obsolete")
                    return
                fired = await fire_deadline_job(
                    uow,
                    deps.clock,
                    deps.policy,
                    deps.calendar,
                    deps.notifier,
                    deps.notifier.remind,
                    job.kind,
                    job.payload,
                )
                await uow.jobs.complete(job.id, deps.clock.now())
                await uow.commit()
            log.info("job %s (%s) for %s: %s", job.id, job.kind, job.payload.get("case_no"), fired)
        except (CaseNotFound, TransitionRefused) as exc:
            # The case is gone or no longer allows the expiry: nothing left to do for this job.
            log.warning("job %s dropped: %r", job.id, exc)
            await self._complete(job)
        except Exception as exc:
            # Anything else (the database, a bug) must not lose the deadline: try again later.
            log.exception("job %s failed", job.id)
            await self._retry(job, repr(exc))

    async def _complete(self, job: Job) -> None:
        await complete_job(self.deps, job)

    async def _retry(self, job: Job, error: str) -> None:
        now = self.deps.clock.now()
        async with self.deps.uow() as uow:
            if job.attempts + 1 >= MAX_ATTEMPTS:
                log.error("job %s gave up after %s attempts: %s", job.id, job.attempts + 1, error)
                await uow.jobs.complete(job.id, now)
            else:
                await uow.jobs.retry(job.id, now, error, now + backoff(job.attempts + 1))
            await uow.commit()
