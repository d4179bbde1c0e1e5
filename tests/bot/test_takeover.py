"""Taking over a dead process's claims: by its heartbeat, or at once by its pid on this machine.

Two workers share one database, each with its own heartbeat, liveness and sender; time is
virtual (tests/bot/outbox_support.py), so seconds of silence take no time. A row the first worker
claimed keeps its 30 s lease throughout: whatever the second worker sends before that, it got by
taking over.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from bot.deps import Deps
from bot.heartbeat import (
    CHECK_EVERY,
    DEAD_AFTER,
    Heartbeat,
    ProcessIdentity,
    this_process,
)
from bot.liveness import FRESH_FOR, Liveness
from bot.outbox import LEASE, OutboxSender
from sandbox.botapi import FakeBotAPI
from tests.bot.outbox_support import OutboxBot, make_sender, numbered, outbox_bot

BUYER = 1001
ELSEWHERE = ProcessIdentity("other-host", "other-host|boot|pid:[1]", 4242, 1)


@dataclass
class Worker:
    deps: Deps
    heartbeat: Heartbeat
    sender: OutboxSender
    lost: list[bool]

    @property
    def liveness(self) -> Liveness:
        return self.deps.liveness


def worker(ob: OutboxBot, name: str, identity: ProcessIdentity | None = None) -> Worker:
    """A bot process of its own on the test's database: its name, heartbeat and sender."""
    liveness = Liveness(ob.time.monotonic)
    deps = replace(ob.deps, worker_id=name, liveness=liveness)
    lost: list[bool] = []
    heartbeat = Heartbeat(
        deps,
        name,
        identity=identity or this_process(),
        monotonic=ob.time.monotonic,
        on_lost=lambda: lost.append(True),
    )
    return Worker(deps, heartbeat, make_sender(deps, ob.harness.bot, name, ob.time), lost)


async def far_and_near(ob: OutboxBot) -> tuple[Worker, Worker]:
    """bot-a on another machine and bot-b on this one, both registered."""
    far, near = worker(ob, "bot-a", ELSEWHERE), worker(ob, "bot-b")
    await far.heartbeat.start()
    await near.heartbeat.start()
    return far, near


def advance(ob: OutboxBot, seconds: float) -> None:
    ob.time.now += seconds
    ob.harness.clock.advance(timedelta(seconds=seconds))


async def claim_one(ob: OutboxBot, name: str) -> None:
    """Queues a notice to the buyer and leases it to `name`, as its sender loop would."""
    await ob.queue(BUYER, numbered(1))
    async with ob.deps.uow() as uow:
        claimed = await uow.outbox.claim_due(ob.deps.clock.now(), name, LEASE, 10)
        await uow.commit()
    assert len(claimed) == 1


async def until(condition: Callable[[], bool], what: str) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


async def stalled_send(ob: OutboxBot, stalled: Worker) -> asyncio.Task[int]:
    """A notice queued, and `stalled` claiming it just as its heartbeat goes stale: the send
    is held back (returned running, to be awaited)."""
    await ob.queue(BUYER, numbered(1))
    advance(ob, FRESH_FOR)  # its beats did not get through meanwhile
    delivery = asyncio.create_task(stalled.sender.run_once())
    await until(lambda: stalled.liveness.waiting == 1, "the send waits for the heartbeat")
    assert ob.calls_to(BUYER) == 0
    return delivery


async def watch(ob: OutboxBot, looker: Worker, seconds: float) -> None:
    """`looker` beats and looks every CHECK_EVERY for `seconds`, as its loops do."""
    for _ in range(round(seconds / CHECK_EVERY)):
        advance(ob, CHECK_EVERY)
        await looker.heartbeat.beat()
        await looker.heartbeat.check()


async def test_a_worker_that_stops_beating_loses_its_rows_to_another_within_5_seconds(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    async with outbox_bot(tmp_path, fake_api) as ob:
        _, alive = await far_and_near(ob)
        await claim_one(ob, "bot-a")
        # bot-a beats no more from here (its host is gone); bot-b beats and looks every half
        # second, as its loops do, and sends what it can claim.
        silent = 0.0
        while await alive.sender.run_once() == 0:
            assert silent <= 5.0, "bot-a's notice was not taken over within 5 s"
            await watch(ob, alive, CHECK_EVERY)
            silent += CHECK_EVERY
        assert DEAD_AFTER <= silent <= 5.0
        assert ob.calls_to(BUYER) == 1
        (row,) = await ob.rows()
        assert row.sent_at is not None
        async with ob.deps.uow() as uow:
            assert [w.worker_id for w in await uow.workers.list()] == ["bot-b"]


async def test_a_worker_whose_process_is_gone_on_this_machine_is_taken_over_at_once(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    here = this_process()
    finished = await asyncio.create_subprocess_exec("true")  # any short-lived process will do
    await finished.wait()
    async with outbox_bot(tmp_path, fake_api) as ob:
        dead = worker(ob, "bot-a", replace(here, pid=finished.pid, pid_started=None))
        await dead.heartbeat.start()
        await claim_one(ob, "bot-a")
        restarted = worker(ob, "bot-a2")
        assert await restarted.heartbeat.start() == 1  # no time passed at all
        assert await restarted.sender.run_once() == 1
        assert ob.calls_to(BUYER) == 1


async def test_a_reused_pid_does_not_keep_a_dead_worker_alive_but_a_living_one_is_kept(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    here = this_process()
    assert here.pid_started is not None
    async with outbox_bot(tmp_path, fake_api) as ob:
        # Same machine and a pid that exists, but started at another time: the pid was reused.
        reused = worker(ob, "bot-old", replace(here, pid_started=here.pid_started - 1))
        living = worker(ob, "bot-living", here)  # this very process, beating from elsewhere
        await reused.heartbeat.start()
        await living.heartbeat.start()
        looker = worker(ob, "bot-new")
        await looker.heartbeat.start()
        async with ob.deps.uow() as uow:
            names = [w.worker_id for w in await uow.workers.list()]
        assert names == ["bot-living", "bot-new"]


async def test_a_stalled_worker_sends_nothing_while_its_heartbeat_is_stale(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    async with outbox_bot(tmp_path, fake_api) as ob:
        stalled = worker(ob, "bot-a")
        await stalled.heartbeat.start()
        delivery = await stalled_send(ob, stalled)
        await stalled.heartbeat.beat()  # the database answers again: its row is still there
        assert await delivery == 1
        assert ob.calls_to(BUYER) == 1


async def test_a_worker_taken_over_while_stalled_stops_and_never_sends_what_it_held(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    async with outbox_bot(tmp_path, fake_api) as ob:
        stalled, other = await far_and_near(ob)
        delivery = await stalled_send(ob, stalled)
        await watch(ob, other, DEAD_AFTER + 2 * CHECK_EVERY)
        assert await other.sender.run_once() == 1
        assert ob.calls_to(BUYER) == 1
        # bot-a comes back: its next beat finds its row gone.
        await stalled.heartbeat.beat()
        assert stalled.lost == [True]
        assert await delivery == 1  # it had claimed one row, and gave it up unsent
        assert ob.calls_to(BUYER) == 1
        assert not await stalled.liveness.wait_fresh()
        # Nothing it claims from now on is started either.
        await ob.queue(BUYER, numbered(2))
        assert await stalled.sender.run_once() == 1
        assert ob.calls_to(BUYER) == 1


async def test_a_looker_that_could_not_read_for_a_while_does_not_count_that_as_silence(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    async with outbox_bot(tmp_path, fake_api) as ob:
        quiet, looker = await far_and_near(ob)
        await looker.heartbeat.check()
        advance(ob, 10.0)  # the database was away for both of them
        assert await looker.heartbeat.check() == 0
        await quiet.heartbeat.beat()
        async with ob.deps.uow() as uow:
            assert len(await uow.workers.list()) == 2
