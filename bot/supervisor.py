"""Runs the bot's background loops so that none of them ends silently.

Every loop of a process runs under one Supervisor. An exception escaping a loop is logged with
its traceback, recorded as the loop's last error, and the loop starts again after a backoff
that grows with each failure in a row (a database that stays locked is not hammered); only
cancelling stops it. Each loop reports its own progress on its LoopHealth: `ok()` after every
iteration that completed, `failed(exc)` for a failure it handled itself (it gets back how long
to wait). The watchdog (bot/watchdog.py) reports these to the database for
`complaint-bot health` and `/health`, and tells the staff chat about a loop that stalled.

Adding a loop is one line in bot/runner.py: `supervisor.repeat(name, step, idle=...)` for a
step that is simply called again, or `supervisor.start(name, run)` for a loop that keeps its own
rhythm and calls `health.ok()` itself.

A step of `repeat` that hangs (a connection that never answers, a lock never released) is
cancelled once it has run for its loop's `stall_after`, so the loop fails like any other
failure and starts again, instead of staying stalled for as long as the process lives; its
transaction rolls back with the cancel and its leases run out for the other processes.

Stopping lets each `repeat` loop finish the step in hand (up to STOP_GRACE) before the rest is
cancelled: a cancel that lands while a step's session hands its connection back leaves the
SQLite driver closing it under the cancel, which SQLAlchemy logs as an error with a traceback on
every such shutdown. A loop of `start` keeps its own rhythm and is cancelled as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.backoff import Backoff
from cases.clock import Clock, SystemClock
from cases.health import STALL_AFTER, LoopStatus

log = logging.getLogger(__name__)

# After a failure: 1 s, 2 s, 4 s … 30 s. Jittered, since every process sharing a database that
# comes back would otherwise retry at the same instant.
LOOP_BACKOFF = Backoff(timedelta(seconds=1), cap=timedelta(seconds=30), jitter=0.25)
# An error text longer than this is cut: it is shown in a chat and a terminal, not a log dump.
MAX_ERROR = 500
# How long stopping waits for the steps in hand; a step still running then is cancelled.
STOP_GRACE = 5.0

Sleep = Callable[[float], Awaitable[None]]


@dataclass
class _Progress:
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    failures: int = 0


class LoopHealth:
    """One loop's progress: when it last completed an iteration, its last error, its failures
    in a row. The loop writes it; the watchdog reads snapshots."""

    def __init__(
        self,
        name: str,
        clock: Clock | None = None,
        *,
        backoff: Backoff = LOOP_BACKOFF,
        stall_after: timedelta = STALL_AFTER,
    ) -> None:
        self.name = name
        self.clock = clock or SystemClock()
        self.backoff = backoff
        self.stall_after = stall_after
        self.started_at = self.clock.now()
        self._progress = _Progress()
        # Bumped on what an operator should see soon (a new error, a recovery), not on every
        # success: the watchdog writes at once when it moved, else on its slow heartbeat.
        self.changes = 0

    @property
    def failures(self) -> int:
        return self._progress.failures

    @property
    def last_success_at(self) -> datetime | None:
        return self._progress.last_success_at

    def ok(self) -> None:
        """Records an iteration that completed; a run of failures is over."""
        progress = self._progress
        progress.last_success_at = self.clock.now()
        if progress.failures:
            progress.failures = 0
            self.changes += 1

    def failed(self, exc: BaseException) -> float:
        """Records a failure; returns how many seconds to wait before trying again."""
        progress = self._progress
        progress.failures += 1
        progress.last_error = _describe(exc)
        progress.last_error_at = self.clock.now()
        self.changes += 1
        return self.backoff.seconds(progress.failures)

    def snapshot(self, worker_id: str, now: datetime) -> LoopStatus:
        progress = self._progress
        return LoopStatus(
            worker_id=worker_id,
            loop=self.name,
            started_at=self.started_at,
            reported_at=now,
            last_success_at=progress.last_success_at,
            last_error=progress.last_error,
            last_error_at=progress.last_error_at,
            failures=progress.failures,
            stall_after=self.stall_after,
        )


class StepHung(Exception):
    """A loop's step ran past its time limit and was cancelled."""

    def __init__(self, loop: str, limit: float) -> None:
        super().__init__(f"a step of loop {loop} ran for {limit:g} s without finishing; cancelled")


def _describe(exc: BaseException) -> str:
    # The first line only: SQLAlchemy appends the statement and a link on lines of their own.
    first = str(exc).split("\n", 1)[0].strip()
    text = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return text if len(text) <= MAX_ERROR else text[: MAX_ERROR - 1] + "…"


Loop = Callable[[LoopHealth], Awaitable[None]]
Step = Callable[[], Awaitable[object]]


class Supervisor:
    """Starts, restarts and stops the loops of one process; knows each loop's health."""

    def __init__(self, clock: Clock, *, sleep: Sleep = asyncio.sleep) -> None:
        self.clock = clock
        self._sleep = sleep
        self.loops: dict[str, LoopHealth] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._repeated: set[str] = set()
        self._stopping = asyncio.Event()

    def start(
        self,
        name: str,
        run: Loop,
        *,
        backoff: Backoff = LOOP_BACKOFF,
        stall_after: timedelta = STALL_AFTER,
    ) -> asyncio.Task[None]:
        """Runs `run(health)` until it returns (it was told to stop) or is cancelled; starts it
        again after a backoff whenever it raises."""
        if name in self.loops:
            raise ValueError(f"a loop named {name!r} runs already")
        health = LoopHealth(name, self.clock, backoff=backoff, stall_after=stall_after)
        self.loops[name] = health
        task = asyncio.create_task(self._supervise(health, run), name=name)
        self._tasks[name] = task
        return task

    def repeat(
        self,
        name: str,
        step: Step,
        *,
        idle: float,
        periodic: bool = False,
        backoff: Backoff = LOOP_BACKOFF,
        stall_after: timedelta = STALL_AFTER,
        step_timeout: float | None = None,
    ) -> asyncio.Task[None]:
        """Calls `step()` over and over: at once again while it reports work done (a truthy
        result), after `idle` seconds when it found nothing, or every `idle` seconds whatever
        it returns when `periodic`. A step still running after `step_timeout` seconds (by
        default the loop's `stall_after`) is cancelled and counts as a failure."""
        limit = stall_after.total_seconds() if step_timeout is None else step_timeout

        async def run(health: LoopHealth) -> None:
            while not self._stopping.is_set():
                deadline = asyncio.timeout(limit)
                try:
                    async with deadline:
                        busy = await step()
                except TimeoutError:
                    if deadline.expired():
                        raise StepHung(name, limit) from None
                    raise  # the step's own timeout (a request that gave up) is its error
                health.ok()
                await self._pause(idle if periodic or not busy else 0)

        task = self.start(name, run, backoff=backoff, stall_after=stall_after)
        self._repeated.add(name)
        return task

    async def _pause(self, seconds: float) -> None:
        """Sleeps `seconds`, or less when stopping begins meanwhile."""
        if seconds <= 0 or self._stopping.is_set():
            await self._sleep(0)
            return
        sleeper = asyncio.ensure_future(self._sleep(seconds))
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({sleeper, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            stopping.cancel()

    async def _supervise(self, health: LoopHealth, run: Loop) -> None:
        while True:
            try:
                await run(health)
            except Exception as exc:  # CancelledError is no Exception: cancelling still stops it
                wait = health.failed(exc)
                log.exception(
                    "loop %s failed (%s in a row); it starts again in %.1f s",
                    health.name, health.failures, wait,
                )
                if health.name in self._repeated:
                    await self._pause(wait)
                    if self._stopping.is_set():
                        log.info("loop %s stopped", health.name)
                        return
                else:
                    await self._sleep(wait)
            else:
                log.info("loop %s finished", health.name)
                return

    async def stop(self, name: str) -> None:
        """Cancels one loop and waits until it has stopped."""
        task = self._tasks.pop(name, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def stop_all(self, grace: float = STOP_GRACE) -> None:
        """Lets the repeated loops finish the steps in hand (`grace` seconds at most), then
        cancels every loop still running, the most recently started first."""
        self._stopping.set()
        finishing = [task for name, task in self._tasks.items() if name in self._repeated]
        if finishing:
            await asyncio.wait(finishing, timeout=grace)
        for name in reversed(list(self._tasks)):
            await self.stop(name)
