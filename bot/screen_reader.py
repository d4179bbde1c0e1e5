"""Reads stored evidence images in the background and records what they say for the case.

The downloader queues a `read_screenshot` job in the transaction that stores an image
(bot/evidence.py); at its first steps this loop also queues the images stored before reading
existed (the backfill). Jobs are claimed like every job (leases, SKIP LOCKED), one at a time, and
each read runs in this process's one reading thread, so a read never holds up an update and two
processes never read the same file.

A read is bounded: the image is scaled down first (bot/screen_ocr.py) and a read still running
after READ_TIMEOUT is abandoned and recorded as failed. Its thread cannot be stopped; while it
runs on, no other read starts (each step fails, and /health shows why) instead of piling
threads onto two cores. Every start is counted on the reading's row before the read, so a read
that kills its process is given up after MAX_READS instead of being retried forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.evidence import describe
from bot.leases import LEASE
from bot.screen_ocr import ImageRefusedError, ReadText, ScreenOcr, prepare
from cases.model import EvidenceStatus
from cases.screen_queue import READ_SCREENSHOT_JOB, queue_reading
from cases.screen_reading import ReadingStatus, ScreenFacts, ScreenReading, match

if TYPE_CHECKING:
    from PIL import Image

    from bot.deps import Deps
    from cases.ports import StoredEvidence
    from storage.jobs import Job

log = logging.getLogger(__name__)

IDLE = 2.0  # seconds between looks for due reads when none was due (bot/runner.py)
READ_TIMEOUT = 60.0  # a phone screenshot takes a few seconds on one core
MAX_READS = 3
BACKFILL_BATCH = 200
# The loop's own step limit: a read's timeout, the model's first load and the writes around it.
STEP_TIMEOUT = READ_TIMEOUT + 120.0


class ReaderStuckError(RuntimeError):
    """An abandoned read still occupies the reading thread."""


class ScreenReader:
    def __init__(
        self,
        deps: Deps,
        worker_id: str,
        ocr: ScreenOcr | None = None,
        *,
        timeout: float = READ_TIMEOUT,
    ) -> None:
        self.deps = deps
        self.worker_id = worker_id
        self.ocr = ocr or ScreenOcr()
        self.timeout = timeout
        self._abandoned: list[asyncio.Future[ReadText]] = []
        self._backfill_after: int | None = 0  # None once every stored image was queued

    async def run_once(self) -> int:
        """Queues a batch of the backfill while there is one, else reads one due image."""
        if self._backfill_after is not None:
            return await self._backfill()
        self._abandoned = [read for read in self._abandoned if not read.done()]
        if self._abandoned:
            raise ReaderStuckError(
                f"a read abandoned after {self.timeout:g} s still runs; no read starts meanwhile"
            )
        now = self.deps.clock.now()
        async with self.deps.uow() as uow:
            jobs = await uow.jobs.claim_due(
                now, self.worker_id, LEASE, 1, kinds=(READ_SCREENSHOT_JOB,)
            )
            await uow.commit()
        for job in jobs:
            await self._run(job)
        return len(jobs)

    async def _backfill(self) -> int:
        """Queues one batch of stored images that have no reading; the job keys make a batch
        queued twice (two processes starting together) harmless."""
        after = self._backfill_after or 0
        now = self.deps.clock.now()
        async with self.deps.uow() as uow:
            unread = await uow.readings.unread_images(after, BACKFILL_BATCH)
            for evidence_id, sha256 in unread:
                await queue_reading(uow, evidence_id, sha256, now)
            await uow.commit()
        if len(unread) < BACKFILL_BATCH:
            self._backfill_after = None
        else:
            self._backfill_after = unread[-1][0]
        if unread:
            log.info("screen reader: %s stored images queued for reading", len(unread))
        return len(unread)

    async def _run(self, job: Job) -> None:
        if not await self.deps.liveness.wait_fresh():
            return  # taken over (bot/heartbeat.py): the job is another process's now
        evidence_id = int(job.payload["evidence_id"])
        now = self.deps.clock.now()
        async with self.deps.uow() as uow:
            evidence = await uow.evidence.get(evidence_id)
            if evidence is None or evidence.status is not EvidenceStatus.STORED:
                # Removed on the buyer's request (or never stored): nothing to read.
                await uow.jobs.complete(job.id, now)
                await uow.commit()
                return
        started = time.perf_counter()
        try:
            picture = await asyncio.to_thread(prepare, Path(str(evidence.stored_path)))
        except ImageRefusedError as exc:
            log.warning("evidence %s not read: %s", evidence_id, exc)
            await self._finish(job, self._failed(evidence, str(exc), started), count=True)
            return
        # Only for a picture worth reading, and before the read is counted: a broken install
        # fails the loop (and shows in /health) without using up the file's tries.
        await asyncio.to_thread(self.ocr.load)
        async with self.deps.uow() as uow:
            attempts = await uow.readings.start(evidence_id, evidence.case_no, now)
            await uow.commit()
        if attempts > MAX_READS:
            error = f"given up: {MAX_READS} reads of this image never finished"
            await self._finish(job, self._failed(evidence, error))
            return
        started = time.perf_counter()
        try:
            read = await self._read(picture)
        except TimeoutError:
            log.error("evidence %s: read abandoned after %g s", evidence_id, self.timeout)
            reading = self._failed(evidence, f"timed out after {self.timeout:g} s", started)
        except Exception as exc:
            # The same picture would break the model again: recorded, not retried.
            log.exception("evidence %s: the reader failed", evidence_id)
            reading = self._failed(evidence, describe(exc), started)
        else:
            reading = await self._outcome(evidence, read.text, started)
        await self._finish(job, reading)

    async def _read(self, picture: Image.Image) -> ReadText:
        future = _in_thread(self.ocr.read_image, picture)
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.timeout)
        except TimeoutError:
            self._abandoned.append(future)  # its thread runs on; no read starts beside it
            raise

    async def _outcome(self, evidence: StoredEvidence, text: str, started: float) -> ScreenReading:
        async with self.deps.uow() as uow:
            case = await uow.cases.get(evidence.case_no)
            order = await uow.orders.get(case.order_no) if case is not None else None
        facts = ScreenFacts(
            order_no=case.order_no if case is not None else "",
            amount=order.amount if order is not None else (case.order_amount if case else 0),
            card_code=order.card_code if order is not None else None,
        )
        return ScreenReading(
            evidence_id=evidence.id,
            case_no=evidence.case_no,
            status=ReadingStatus.DONE,
            text=text,
            matches=match(text, facts, self.deps.policy.screen_failure_texts),
            read_at=self.deps.clock.now(),
            duration_ms=_elapsed_ms(started),
        )

    def _failed(
        self, evidence: StoredEvidence, error: str, started: float | None = None
    ) -> ScreenReading:
        return ScreenReading(
            evidence_id=evidence.id,
            case_no=evidence.case_no,
            status=ReadingStatus.FAILED,
            error=error,
            read_at=self.deps.clock.now(),
            duration_ms=None if started is None else _elapsed_ms(started),
        )

    async def _finish(self, job: Job, reading: ScreenReading, *, count: bool = False) -> None:
        """Records the reading and completes its job in one transaction; `count` for an outcome
        reached without starting a read (the row is made, with the try counted)."""
        now = self.deps.clock.now()
        async with self.deps.uow() as uow:
            if count:
                await uow.readings.start(reading.evidence_id, reading.case_no, now)
            await uow.readings.finish(reading)
            case = await uow.cases.get(reading.case_no)
            if case is not None:
                await self.deps.notifier.screens_read(uow, case.case_no, case.order_no)
            await uow.jobs.complete(job.id, now)
            await uow.commit()
        self.deps.outbox_bell.ring(now)
        log.info(
            "evidence %s read (%s, %s ms)",
            reading.evidence_id, reading.status.value, reading.duration_ms,
        )



def _in_thread(
    read: Callable[[Image.Image], ReadText], picture: Image.Image
) -> asyncio.Future[ReadText]:
    """Runs one read in a thread of its own, a daemon: a read that hangs must not keep the
    process from exiting, as an executor's thread would (they are joined at exit)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[ReadText] = loop.create_future()

    def settle(result: ReadText | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def work() -> None:
        result: ReadText | None = None
        error: BaseException | None = None
        try:
            result = read(picture)
        except BaseException as exc:
            error = exc
        # An abandoned read may end after its loop has closed: nobody waits for it any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=work, name="screen-reader", daemon=True).start()
    return future


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
