"""The supervisor: a loop's exception is logged and backed off, never the loop's end."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.backoff import Backoff
from bot.supervisor import LoopHealth, Supervisor
from cases.clock import ManualClock

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
FAST = Backoff(timedelta(seconds=2), cap=timedelta(seconds=8))


class Sleeps:
    """Records each wait and only yields, so no test waits in real time."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(timedelta(seconds=seconds))
        await asyncio.sleep(0)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def sleeps(clock: ManualClock) -> Sleeps:
    return Sleeps(clock)


async def until(condition: object, timeout: float = 5.0) -> None:  # noqa: ASYNC109
    async with asyncio.timeout(timeout):
        while not condition():  # type: ignore[operator]  # noqa: ASYNC110
            await asyncio.sleep(0)


async def test_a_failing_step_is_logged_backed_off_and_run_again_until_it_works(
    clock: ManualClock, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []

    async def step() -> int:
        calls.append(len(calls))
        if len(calls) <= 3:
            raise OSError("database is locked")
        return 0

    supervisor = Supervisor(clock, sleep=sleeps)
    with caplog.at_level(logging.ERROR, logger="bot.supervisor"):
        supervisor.repeat("deadlines", step, idle=1.0, backoff=FAST)
        await until(lambda: len(calls) >= 5)
        await supervisor.stop_all()
    assert sleeps.waits[:3] == [2.0, 4.0, 8.0]  # the loop's own backoff, failure after failure
    failures = [r for r in caplog.records if "loop deadlines failed" in r.getMessage()]
    assert len(failures) == 3
    assert failures[0].exc_info is not None  # with its traceback
    health = supervisor.loops["deadlines"]
    assert health.failures == 0  # the run of failures ended with the first success
    status = health.snapshot("w1", clock.now())
    assert status.last_error == "OSError: database is locked"
    assert status.last_success_at is not None
    assert status.last_error_at is not None
    assert status.last_error_at < status.last_success_at


async def test_the_backoff_grows_with_failures_in_a_row_and_starts_over_after_a_success(
    clock: ManualClock, sleeps: Sleeps
) -> None:
    outcomes = iter(["fail", "fail", "ok", "fail"])

    async def step() -> bool:
        if next(outcomes, "ok") == "fail":
            raise RuntimeError("boom")
        return True  # busy: called again at once

    supervisor = Supervisor(clock, sleep=sleeps)
    supervisor.repeat("evidence", step, idle=1.0, backoff=FAST)
    await until(lambda: len(sleeps.waits) >= 5)
    await supervisor.stop_all()
    assert sleeps.waits[:5] == [2.0, 4.0, 0, 2.0, 0]


async def test_a_step_that_found_nothing_waits_idle_and_a_periodic_one_always_does(
    clock: ManualClock, sleeps: Sleeps
) -> None:
    found = iter([3, 0, 1])

    async def busy_then_idle() -> int:
        return next(found, 0)

    async def renew() -> int:
        return 5  # work done, yet it only runs every beat

    supervisor = Supervisor(clock, sleep=sleeps)
    supervisor.repeat("payouts", busy_then_idle, idle=2.0)
    await until(lambda: len(sleeps.waits) >= 3)
    await supervisor.stop("payouts")
    assert sleeps.waits[:3] == [0, 2.0, 0]
    sleeps.waits.clear()
    supervisor.repeat("leases", renew, idle=5.0, periodic=True)
    await until(lambda: len(sleeps.waits) >= 2)
    await supervisor.stop_all()
    assert sleeps.waits[:2] == [5.0, 5.0]


async def test_stopping_ends_a_loop_even_while_it_backs_off(
    clock: ManualClock,
) -> None:
    started = asyncio.Event()

    async def hang(seconds: float) -> None:
        started.set()
        await asyncio.Event().wait()

    async def step() -> None:
        raise OSError("down")

    supervisor = Supervisor(clock, sleep=hang)
    task = supervisor.repeat("retention", step, idle=1.0)
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.wait_for(supervisor.stop_all(), 1)  # not the whole grace: the wait is cut
    assert task.done()


async def test_stopping_lets_the_step_in_hand_finish_instead_of_cancelling_it(
    clock: ManualClock, sleeps: Sleeps
) -> None:
    in_step = asyncio.Event()
    finish = asyncio.Event()
    ends: list[str] = []

    async def step() -> int:
        in_step.set()
        try:
            await finish.wait()  # a transaction handing its connection back
        except asyncio.CancelledError:
            ends.append("cancelled")
            raise
        ends.append("finished")
        return 0

    supervisor = Supervisor(clock, sleep=sleeps)
    task = supervisor.repeat("deadlines", step, idle=1.0)
    await asyncio.wait_for(in_step.wait(), 5)
    stopping = asyncio.create_task(supervisor.stop_all())
    await asyncio.sleep(0.05)
    assert not stopping.done()  # it waits for the step
    finish.set()
    await asyncio.wait_for(stopping, 5)
    assert ends == ["finished"]
    assert task.done()
    assert not task.cancelled()


async def test_a_step_still_running_after_the_grace_is_cancelled(
    clock: ManualClock, sleeps: Sleeps
) -> None:
    ends: list[str] = []

    async def step() -> int:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            ends.append("cancelled")
            raise
        return 0

    supervisor = Supervisor(clock, sleep=sleeps)
    task = supervisor.repeat("evidence", step, idle=1.0)
    await asyncio.sleep(0)
    await asyncio.wait_for(supervisor.stop_all(grace=0.05), 5)
    assert ends == ["cancelled"]
    assert task.cancelled()


async def test_a_loop_that_returns_has_finished_and_is_not_started_again(
    clock: ManualClock, sleeps: Sleeps
) -> None:
    runs: list[LoopHealth] = []

    async def run(health: LoopHealth) -> None:
        runs.append(health)
        health.ok()

    supervisor = Supervisor(clock, sleep=sleeps)
    await asyncio.wait_for(supervisor.start("inbox", run), 5)
    assert len(runs) == 1
    assert runs[0].last_success_at == NOW


async def test_a_loop_that_handles_its_own_failure_reports_it_and_gets_its_wait(
    clock: ManualClock,
) -> None:
    health = LoopHealth("outbox", clock, backoff=FAST)
    changes = health.changes
    assert health.failed(OSError("again")) == 2.0
    assert health.failed(OSError("x" * 900)) == 4.0
    assert health.changes == changes + 2  # an error is news for the watchdog; a success is not
    assert len(health.snapshot("w1", NOW).last_error or "") == 500  # cut for a chat
    health.ok()
    health.ok()
    assert (health.failures, health.changes) == (0, changes + 3)


def test_two_loops_of_one_name_are_refused(clock: ManualClock) -> None:
    async def run(health: LoopHealth) -> None:
        return None

    async def both() -> None:
        supervisor = Supervisor(clock)
        supervisor.start("outbox", run)
        with pytest.raises(ValueError, match="outbox"):
            supervisor.start("outbox", run)
        await supervisor.stop_all()

    asyncio.run(both())


async def test_a_hung_step_is_cancelled_after_its_limit_and_the_loop_goes_on(
    clock: ManualClock, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str] = []
    cancelled = asyncio.Event()

    async def step() -> int:
        calls.append("step")
        if len(calls) == 1:
            try:
                await asyncio.Event().wait()  # a connection that never answers
            except asyncio.CancelledError:
                cancelled.set()
                raise
        return 0

    supervisor = Supervisor(clock, sleep=sleeps)
    with caplog.at_level(logging.ERROR, logger="bot.supervisor"):
        supervisor.repeat("payouts", step, idle=1.0, backoff=FAST, step_timeout=0.05)
        await until(lambda: len(calls) >= 3)
        await supervisor.stop_all()
    assert cancelled.is_set()
    assert sleeps.waits[0] == 2.0  # backed off like any failure
    status = supervisor.loops["payouts"].snapshot("w1", clock.now())
    assert status.last_error == (
        "StepHung: a step of loop payouts ran for 0.05 s without finishing; cancelled"
    )
    assert status.last_success_at is not None
    assert any("loop payouts failed" in r.getMessage() for r in caplog.records)


async def test_a_steps_own_timeout_is_its_own_error_not_a_hang(
    clock: ManualClock, sleeps: Sleeps
) -> None:
    calls: list[str] = []

    async def step() -> int:
        calls.append("step")
        if len(calls) == 1:
            raise TimeoutError("the platform did not answer")
        return 0

    supervisor = Supervisor(clock, sleep=sleeps)
    supervisor.repeat("payouts", step, idle=1.0, backoff=FAST)
    await until(lambda: len(calls) >= 2)
    await supervisor.stop_all()
    status = supervisor.loops["payouts"].snapshot("w1", clock.now())
    assert status.last_error == "TimeoutError: the platform did not answer"


def test_every_repeated_step_is_limited_by_its_stall_time_by_default() -> None:
    supervisor = Supervisor(ManualClock(NOW))
    limits: list[float] = []
    real = asyncio.timeout

    def spy(delay: float | None) -> asyncio.Timeout:
        limits.append(delay or 0.0)
        return real(delay)

    async def once() -> None:
        async def step() -> int:
            raise asyncio.CancelledError  # one step is enough to see its limit

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("bot.supervisor.asyncio.timeout", spy)
            task = supervisor.repeat(
                "retention", step, idle=1.0, stall_after=timedelta(minutes=15)
            )
            with contextlib.suppress(asyncio.CancelledError):
                await task

    asyncio.run(once())
    assert limits == [900.0]
