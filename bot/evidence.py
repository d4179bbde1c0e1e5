"""Downloads evidence files in the background into EVIDENCE_DIR, content-addressed by SHA-256.

The conversation never waits for a download: filing records the file id and schedules a
`download_evidence` job in the same transaction; this loop claims due jobs, fetches each file
through TELEGRAM_API_URL and records the hash. A failed download (any error but Telegram's
refusal of a file over its size limit) is retried later with backoff; after MAX_ATTEMPTS the file
is marked failed, and the buyer is asked to send it again and the staff chat told. A stored image
gets its fingerprint job in the same transaction (bot/fingerprints.py).
The same loop deletes stored files whose evidence was removed on the buyer's request
(cases/erasure.py), once no other evidence refers to the same content.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import tempfile
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.backoff import Backoff
from bot.evidence_check import Refusal, check_content
from bot.leases import LEASE
from bot.transport.port import BotApiError, BotPort, Refused
from cases.audit import EVIDENCE_FAILED, EVIDENCE_REJECTED, EVIDENCE_STORED
from cases.erasure import REMOVE_EVIDENCE_FILE_JOB
from cases.evidence import DOWNLOAD_EVIDENCE_JOB
from cases.fingerprints import FINGERPRINT_JOB, fingerprint_job_key, wants_fingerprint
from cases.history import seal
from cases.model import EvidenceStatus
from cases.policy import MIB
from cases.screen_queue import queue_reading

if TYPE_CHECKING:
    from bot.deps import Deps
    from cases.ports import StoredEvidence
    from storage.jobs import Job
    from storage.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
IDLE = 1.0  # seconds between looks for due downloads when none was due (bot/runner.py)
REFUSED_KEY = "evidence.refused_content"
REFUSED_SIZE_KEY = "evidence.refused_size"
# How Telegram answers getFile for a file over the Bot API's download limit: asking again in an
# hour gets the same answer, so it is a refusal, not a failure to retry.
TOO_BIG = "file is too big"
_KINDS = (DOWNLOAD_EVIDENCE_JOB, REMOVE_EVIDENCE_FILE_JOB)


# 30 s, 1 min, 2 min … capped at 1 h: Telegram outages are usually short.
backoff = Backoff(timedelta(seconds=30), cap=timedelta(hours=1))


def evidence_path(root: Path, sha256: str) -> Path:
    # Only the hash names the file: nothing the user sent becomes part of a path.
    return root / sha256[:2] / sha256


def _store(root: Path, data: bytes) -> tuple[str, Path]:
    digest = hashlib.sha256(data).hexdigest()
    target = evidence_path(root, digest)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a crash never leaves a half file under the final name.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(target)
    return digest, target


class EvidenceDownloader:
    def __init__(self, deps: Deps, bot: BotPort, worker_id: str) -> None:
        self.deps = deps
        self.bot = bot
        self.worker_id = worker_id

    async def run_once(self, limit: int = 5) -> int:
        now = self.deps.clock.now()
        async with self.deps.uow() as uow:
            jobs = await uow.jobs.claim_due(now, self.worker_id, LEASE, limit, kinds=_KINDS)
            await uow.commit()
        for job in jobs:
            await self._run(job)
        return len(jobs)

    async def _run(self, job: Job) -> None:
        """Runs one job; whatever fails in it is retried with the job's backoff and attempts."""
        if not await self.deps.liveness.wait_fresh():
            return  # taken over (bot/heartbeat.py): the job is another process's now
        try:
            if job.kind == REMOVE_EVIDENCE_FILE_JOB:
                await self._remove(job)
            else:
                await self._download(job)
        except Exception as exc:
            # A bug, a full disk or the database away: the job's own retry still applies, and
            # the other jobs claimed with it run all the same.
            log.exception("evidence job %s failed unexpectedly", job.id)
            try:
                await self._retry(job, describe(exc))
            except Exception:
                # Not even that could be written: the lease runs out and the job is claimed again.
                log.exception("evidence job %s: its failure could not be recorded", job.id)

    async def _remove(self, job: Job) -> None:
        """Deletes a removed file from EVIDENCE_DIR unless other evidence still needs it.

        The check and the job's completion share one transaction; the file is deleted before
        the commit, so a crash in between only runs the (idempotent) deletion again. Not
        covered: another case's download of the very same bytes finishing between the check
        and the unlink; that file would then be missing until the buyer sends it again.
        """
        digest = str(job.payload["sha256"])
        async with self.deps.uow() as uow:
            if not await uow.evidence.in_use(digest):
                path = evidence_path(self.deps.settings.evidence_dir, digest)
                await asyncio.to_thread(path.unlink, missing_ok=True)
                log.info("evidence file %s deleted on request", digest)
            await uow.jobs.complete(job.id, self.deps.clock.now())
            await uow.commit()

    async def _download(self, job: Job) -> None:
        evidence_id = int(job.payload["evidence_id"])
        async with self.deps.uow() as uow:
            evidence = await uow.evidence.get(evidence_id)
        if evidence is None or evidence.status is EvidenceStatus.REMOVED:
            # Removed on the buyer's request while the download waited: nothing to fetch.
            await self._finish(job)
            return
        max_bytes = self.deps.policy.max_evidence_bytes
        try:
            data = await self._fetch(evidence.file.file_id, max_bytes)
        except _TooBig:
            await self._refuse_size(job, evidence)
            return
        except Exception as exc:
            # Anything else Telegram or the network does (an error answer, a dropped
            # connection, a cut-off body, a timeout) may well go right next time.
            if not isinstance(exc, _EXPECTED):
                log.exception("evidence %s: unexpected error while downloading", evidence_id)
            await self._retry(job, describe(exc))
            return
        if len(data) > max_bytes:
            await self._refuse_size(job, evidence)
            return
        refusal = check_content(evidence.file.kind, evidence.file.mime_type, data)
        if refusal is not None:
            await self._refuse(job, evidence, refusal)
            return
        digest, path = await asyncio.to_thread(_store, self.deps.settings.evidence_dir, data)
        now = self.deps.clock.now()
        async with self.deps.uow() as uow:
            await uow.evidence.mark_stored(evidence_id, digest, str(path))
            await self._seal(uow, evidence, EVIDENCE_STORED)
            if wants_fingerprint(evidence.file):
                # Scheduled with the file itself: a crash after the commit still fingerprints it
                # and reads it.
                key = fingerprint_job_key(evidence_id)
                await uow.jobs.add(FINGERPRINT_JOB, now, {"evidence_id": evidence_id}, key=key)
                await queue_reading(uow, evidence_id, digest, now)
            await uow.jobs.complete(job.id, now)
            await uow.commit()
        log.info("evidence %s stored as %s", evidence_id, digest)

    async def _fetch(self, file_id: str, max_bytes: int) -> bytes:
        """The file's bytes; _TooBig when Telegram says (or shows) it is over the limit."""
        try:
            remote = await self.bot.file_info(file_id)
        except BotApiError as exc:
            if isinstance(exc.failure, Refused) and TOO_BIG in exc.failure.reason:
                raise _TooBig from exc
            raise
        if remote.size is not None and remote.size > max_bytes:
            raise _TooBig  # checked before downloading anything
        if remote.path is None:
            raise _Unavailable("Telegram gave no file path")
        return await self.bot.download(remote.path)

    async def _refuse(self, job: Job, evidence: StoredEvidence, refusal: Refusal) -> None:
        error = f"content refused: declared {refusal.declared}, content is {refusal.found}"
        params = {"why": "content", "declared": refusal.declared, "found": refusal.found}
        await self._reject(job, evidence, error, REFUSED_KEY, params)

    async def _refuse_size(self, job: Job, evidence: StoredEvidence) -> None:
        max_mb = f"{self.deps.policy.max_evidence_bytes / MIB:.1f}"
        error = f"over the size limit of {max_mb} MB"
        why = {"why": "size", "max_mb": max_mb}
        await self._reject(job, evidence, error, REFUSED_SIZE_KEY, why)

    async def _reject(
        self,
        job: Job,
        evidence: StoredEvidence,
        error: str,
        key: str,
        reason: Mapping[str, object],
    ) -> None:
        """Keeps the file out of EVIDENCE_DIR, marks it rejected, and tells the buyer (so they
        can send another) and the staff chat why."""
        log.warning("evidence %s not stored: %s", evidence.id, error)
        now = self.deps.clock.now()
        async with self.deps.uow() as uow:
            await uow.jobs.retry(job.id, now, error, now)  # keeps the reason as last_error
            await uow.jobs.complete(job.id, now)
            await uow.evidence.set_status(evidence.id, EvidenceStatus.REJECTED)
            await self._seal(uow, evidence, EVIDENCE_REJECTED)
            await self.deps.notifier.evidence_refused(uow, evidence, key, dict(reason))
            await uow.commit()

    async def _seal(self, uow: SqlUnitOfWork, evidence: StoredEvidence, action: str) -> None:
        """Records the file's new state in the case's hash chain, with the change itself."""
        now = self.deps.clock.now()
        await seal(uow, evidence.case_no, now, action, {"evidence_id": str(evidence.id)})

    async def _finish(self, job: Job) -> None:
        async with self.deps.uow() as uow:
            await uow.jobs.complete(job.id, self.deps.clock.now())
            await uow.commit()

    async def _retry(self, job: Job, error: str) -> None:
        log.warning("evidence job %s failed (attempt %s): %s", job.id, job.attempts + 1, error)
        now = self.deps.clock.now()
        async with self.deps.uow() as uow:
            if job.attempts + 1 < MAX_ATTEMPTS:
                await uow.jobs.retry(job.id, now, error, now + backoff(job.attempts + 1))
            elif job.kind == REMOVE_EVIDENCE_FILE_JOB:
                log.error("evidence file deletion (job %s) given up: %s", job.id, error)
                await uow.jobs.retry(job.id, now, error, now)  # keeps the last error on the job
                await uow.jobs.complete(job.id, now)
            else:
                await self._give_up(uow, job, error)
            await uow.commit()

    async def _give_up(self, uow: SqlUnitOfWork, job: Job, error: str) -> None:
        """Stops retrying and marks the file failed; in the same transaction the buyer is asked
        to send it again and the staff chat is told, so the case never quietly lacks a file."""
        now = self.deps.clock.now()
        evidence_id = int(job.payload["evidence_id"])
        await uow.jobs.retry(job.id, now, error, now)  # keeps the last error on the job
        await uow.jobs.complete(job.id, now)
        evidence = await uow.evidence.get(evidence_id)
        if evidence is None or evidence.status is EvidenceStatus.REMOVED:
            return
        log.error("evidence %s of case %s given up: %s", evidence_id, evidence.case_no, error)
        await uow.evidence.set_status(evidence_id, EvidenceStatus.FAILED)
        await self._seal(uow, evidence, EVIDENCE_FAILED)
        await self.deps.notifier.evidence_missing(uow, evidence, MAX_ATTEMPTS)


class _TooBig(Exception):
    """Telegram will not hand the file over: it is over the download limit (a refusal)."""


class _Unavailable(Exception):
    """Telegram described the file but gave no way to download it (worth another try)."""


# What downloads are expected to raise now and then; anything else is logged with its traceback.
_EXPECTED = (BotApiError, OSError, _Unavailable)


def describe(exc: BaseException) -> str:
    """The error as kept on the job: its type too, as some (ServerDisconnectedError) say little.
    The port's errors say already what failed (bot/transport/port.py)."""
    if isinstance(exc, BotApiError):
        return str(exc)
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
