"""How a worker loop ends one run of a claimed job: done, or due again after its backoff."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.backoff import Backoff

if TYPE_CHECKING:
    from bot.deps import Deps
    from storage.jobs import Job

log = logging.getLogger(__name__)


async def complete_job(deps: Deps, job: Job) -> None:
    """Marks the job done in a transaction of its own."""
    async with deps.uow() as uow:
        await uow.jobs.complete(job.id, deps.clock.now())
        await uow.commit()


async def retry_job(
    deps: Deps, job: Job, error: str, backoff: Backoff, max_attempts: int
) -> bool:
    """Makes the job due again after its backoff; after `max_attempts` runs it is done instead,
    keeping its last error for the operator. Returns True when it was given up."""
    now = deps.clock.now()
    attempt = job.attempts + 1
    async with deps.uow() as uow:
        given_up = attempt >= max_attempts
        if given_up:
            log.error("job %s (%s) gave up after %s attempts: %s", job.id, job.kind, attempt, error)
            await uow.jobs.retry(job.id, now, error, now)
            await uow.jobs.complete(job.id, now)
        else:
            await uow.jobs.retry(job.id, now, error, now + backoff(attempt))
        await uow.commit()
    return given_up
