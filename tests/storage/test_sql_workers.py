"""The workers' heartbeat rows: a beat, and a takeover that wins only over a silent life."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from storage.ports import WorkerRecord
from tests.storage.conftest import Database
from tests.storage.factories import T0

WORKER = WorkerRecord(
    worker_id="bot-a",
    life="life-1",
    host="host-a",
    machine="host-a|boot|pid:[1]",
    pid=4242,
    pid_started=99,
    started_at=T0,
    beat_at=T0,
    beats=0,
)


async def test_a_beat_bumps_the_counter_and_a_takeover_after_it_removes_nothing(
    db: Database,
) -> None:
    async with db.uow() as uow:
        await uow.workers.register(WORKER)
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.workers.beat("bot-a", "life-1", T0 + timedelta(seconds=1))
        await uow.commit()
    async with db.uow() as uow:
        (seen,) = await uow.workers.list()
        assert (seen.beats, seen.beat_at) == (1, T0 + timedelta(seconds=1))
        # A looker that saw the counter at 0 is out of date: the worker beat since.
        assert not await uow.workers.remove("bot-a", "life-1", beats=0)
        assert await uow.workers.remove("bot-a", "life-1", beats=1)
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.workers.list() == []
        # The taken-over worker's next beat finds nothing: it knows it was taken over.
        assert not await uow.workers.beat("bot-a", "life-1", T0 + timedelta(seconds=5))


async def test_a_restart_under_the_same_name_replaces_the_old_life_which_a_looker_cannot_remove(
    db: Database,
) -> None:
    async with db.uow() as uow:
        await uow.workers.register(WORKER)
        await uow.workers.register(replace(WORKER, life="life-2", pid=4343))
        await uow.commit()
    async with db.uow() as uow:
        assert not await uow.workers.remove("bot-a", "life-1", beats=0)
        (seen,) = await uow.workers.list()
        assert (seen.life, seen.pid) == ("life-2", 4343)
