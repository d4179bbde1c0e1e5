"""Fingerprints every stored image in the background and records the matches with other cases.

The evidence downloader (bot/evidence.py) schedules a `fingerprint_evidence` job when it stores
an image, in the transaction that records the file, so a crash loses none; this loop claims the
jobs (several processes never run one twice: the jobs table's leases), reads the stored file,
computes its fingerprint off the event loop and, in one transaction, keeps it, records the
matches with other cases' files, queues the staff chat's notice of a match with another buyer's
case (dialogs/evidence_matches.py) and completes the job.

The backfill schedules the same job for images stored before fingerprints existed: it walks the
evidence table once per process start, by id, in batches; the jobs are keyed by the evidence id,
so two processes walking at once schedule each image once.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING

from bot.backoff import Backoff
from bot.evidence import describe, evidence_path
from bot.image_fingerprint import fingerprint_image, same_picture
from bot.job_runs import complete_job, retry_job
from bot.leases import LEASE
from cases.fingerprints import (
    FINGERPRINT_JOB,
    MAX_HASH_DISTANCE,
    find_matches,
    fingerprint_job_key,
)
from cases.model import EvidenceStatus

if TYPE_CHECKING:
    from bot.deps import Deps
    from storage.jobs import Job

log = logging.getLogger(__name__)

IDLE = 2.0  # seconds between looks for due jobs when none was due (bot/runner.py)
MAX_ATTEMPTS = 8
# Candidates close enough in hash whose detail is compared, newest first: a page thousands of
# buyers screenshot is close in hash to all of them, and comparing each would make a job slow.
MAX_CANDIDATES = 200
BACKFILL_BATCH = 500
BACKFILL_EVERY = 30.0  # seconds between backfill batches while there are images left

# 30 s, 1 min, 2 min … capped at 30 min: a file not yet visible on a shared disk, a busy database.
backoff = Backoff(timedelta(seconds=30), cap=timedelta(minutes=30))


class FingerprintWorker:
    def __init__(self, deps: Deps, worker_id: str) -> None:
        self.deps = deps
        self.worker_id = worker_id
        self._backfilled_to = 0  # the last evidence id the backfill looked at
        self.backfill_done = False

    async def run_once(self, limit: int = 5) -> int:
        """Claims due fingerprint jobs and runs them; returns how many were claimed."""
        now = self.deps.clock.now()
        async with self.deps.uow() as uow:
            jobs = await uow.jobs.claim_due(
                now, self.worker_id, LEASE, limit, kinds=[FINGERPRINT_JOB]
            )
            await uow.commit()
        for job in jobs:
            try:
                await self._fingerprint(job)
            except Exception as exc:
                # The file is still evidence when this gives up, only without its fingerprint:
                # staff lose a hint, nothing else, so it is logged, not told.
                log.exception("fingerprint job %s failed", job.id)
                await retry_job(self.deps, job, describe(exc), backoff, MAX_ATTEMPTS)
        return len(jobs)

    async def _fingerprint(self, job: Job) -> None:
        evidence_id = int(job.payload["evidence_id"])
        async with self.deps.uow() as uow:
            evidence = await uow.evidence.get(evidence_id)
        if evidence is None or evidence.status is not EvidenceStatus.STORED or not evidence.sha256:
            await complete_job(self.deps, job)  # removed since: nothing to compare any more
            return
        path = evidence_path(self.deps.settings.evidence_dir, evidence.sha256)
        fingerprint = await asyncio.to_thread(fingerprint_image, path)
        now = self.deps.clock.now()
        async with self.deps.uow() as uow:
            case = await uow.cases.get(evidence.case_no)
            current = await uow.evidence.get(evidence_id)
            # Removed on the buyer's request while it was read: nothing of it is kept.
            if case is None or current is None or current.status is not EvidenceStatus.STORED:
                await uow.jobs.complete(job.id, now)
                await uow.commit()
                return
            same = await uow.fingerprints.same_content(evidence_id, evidence.sha256)
            near = []
            if fingerprint is not None:
                near = await uow.fingerprints.near(
                    evidence_id, fingerprint.phash, MAX_HASH_DISTANCE, MAX_CANDIDATES
                )
            check = partial(same_picture, max_hash_distance=MAX_HASH_DISTANCE)
            matches = await asyncio.to_thread(
                find_matches,
                evidence_id,
                case.case_no,
                case.buyer_id,
                fingerprint,
                same,
                near,
                check,
            )
            await uow.fingerprints.put(evidence_id, fingerprint, now)
            for match in matches:
                await uow.fingerprints.add_match(match, now)
            if matches:
                await self.deps.notifier.evidence_matched(uow, evidence, matches)
            await uow.jobs.complete(job.id, now)
            await uow.commit()
        if matches:
            log.info("evidence %s matches %s other files", evidence_id, len(matches))
            self.deps.outbox_bell.ring(now)

    async def backfill(self) -> int:
        """Schedules fingerprints for one batch of older images; returns how many it found."""
        if self.backfill_done:
            return 0
        now = self.deps.clock.now()
        async with self.deps.uow() as uow:
            ids = await uow.fingerprints.unfingerprinted_images(
                self._backfilled_to, BACKFILL_BATCH
            )
            for evidence_id in ids:
                key = fingerprint_job_key(evidence_id)
                await uow.jobs.add(FINGERPRINT_JOB, now, {"evidence_id": evidence_id}, key=key)
            await uow.commit()
        if ids:
            self._backfilled_to = ids[-1]
            log.info("fingerprint backfill: %s older images scheduled", len(ids))
        if len(ids) < BACKFILL_BATCH:
            self.backfill_done = True
        return len(ids)
