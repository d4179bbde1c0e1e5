"""The watchdog: loop health reaches the database for other processes, and a stall reaches the
staff chat exactly once, with a notice when it is over. Time is the injected clock: no test
waits five real minutes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.supervisor import LoopHealth
from bot.watchdog import Watchdog
from dialogs.types import Reply
from sandbox.botapi import FakeBotAPI
from storage.models import OutboxRow, WorkerLoopRow
from tests.bot.harness import BotHarness, bot_harness
from tests.bot.test_loops_survive_database_errors import LockedDatabase

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
STAFF_CHAT = -100777
MINUTE = timedelta(minutes=1)


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    async with bot_harness(tmp_path, fake_api, NOW, staff_chat_id=STAFF_CHAT) as running:
        yield running


def watching(harness: BotHarness, *names: str, worker_id: str = "w1") -> tuple[Watchdog, Any]:
    """A watchdog over loops the test drives by hand, as the supervisor's loops would."""
    loops = {name: LoopHealth(name, harness.clock) for name in names}
    return Watchdog(harness.deps, SimpleNamespace(loops=loops), worker_id), loops


async def notices(harness: BotHarness) -> list[Any]:
    async with harness.deps.engine.connect() as connection:
        query = select(OutboxRow.chat_id, OutboxRow.key, OutboxRow.payload).where(
            OutboxRow.key.startswith("loop-")
        )
        return list((await connection.execute(query.order_by(OutboxRow.id))).all())


async def reports(harness: BotHarness) -> dict[str, Any]:
    async with harness.deps.engine.connect() as connection:
        rows = (await connection.execute(select(WorkerLoopRow))).all()
        return {row.loop: row for row in rows}


def text(harness: BotHarness, payload: dict[str, Any]) -> str:
    reply = Reply.from_payload(payload)
    return harness.deps.translator.render_plain("en", reply.key, reply.params)


async def test_a_loop_failing_for_five_minutes_alerts_staff_once_then_says_it_recovered(
    harness: BotHarness,
) -> None:
    watchdog, loops = watching(harness, "deadlines", "outbox")
    deadlines = loops["deadlines"]
    deadlines.ok()
    loops["outbox"].ok()
    await watchdog.tick()
    for _ in range(4):  # four minutes of "database is locked"
        harness.clock.advance(MINUTE)
        deadlines.failed(OSError("database is locked"))
        loops["outbox"].ok()
        await watchdog.tick()
    assert await notices(harness) == []  # not yet five minutes
    harness.clock.advance(MINUTE)
    await watchdog.tick()
    for _ in range(3):  # still failing: no second alert
        harness.clock.advance(MINUTE)
        deadlines.failed(OSError("database is locked"))
        await watchdog.tick()
    [alert] = await notices(harness)
    assert alert.chat_id == STAFF_CHAT
    assert alert.key == f"loop-stalled:w1:deadlines:{NOW.isoformat()}"
    said = text(harness, alert.payload)
    assert "deadlines" in said
    assert "5 minutes" in said
    assert "database is locked" in said
    deadlines.ok()
    await watchdog.tick()
    await watchdog.tick()
    _, recovered = await notices(harness)
    assert recovered.key == f"loop-recovered:w1:deadlines:{NOW.isoformat()}"
    assert "works again" in text(harness, recovered.payload)
    assert "8 minutes" in text(harness, recovered.payload)


async def test_a_loop_that_never_succeeded_since_its_start_counts_from_its_start(
    harness: BotHarness,
) -> None:
    watchdog, loops = watching(harness, "payouts")
    harness.clock.advance(5 * MINUTE)
    loops["payouts"].failed(OSError("connection refused"))
    await watchdog.tick()
    [alert] = await notices(harness)
    assert "not once since it started" in text(harness, alert.payload)


async def test_an_outage_over_before_the_alert_could_be_written_is_still_told_once(
    harness: BotHarness,
) -> None:
    # The database was down for the whole outage: the watchdog could write nothing, and when
    # it can again the loop already works. Staff hear of the outage in the one notice.
    watchdog, loops = watching(harness, "evidence")
    loops["evidence"].ok()
    watchdog.deps = replace(harness.deps, uow=LockedDatabase(harness.deps.uow, failures=1))
    harness.clock.advance(6 * MINUTE)
    with pytest.raises(OperationalError):
        await watchdog.tick()
    harness.clock.advance(MINUTE)
    loops["evidence"].ok()
    await watchdog.tick()
    [notice] = await notices(harness)
    assert notice.key == f"loop-recovered:w1:evidence:{NOW.isoformat()}"
    assert "7 minutes" in text(harness, notice.payload)


async def test_the_report_is_written_on_change_and_on_the_heartbeat_not_on_every_tick(
    harness: BotHarness,
) -> None:
    watchdog, loops = watching(harness, "inbox")
    loops["inbox"].ok()
    await watchdog.tick()
    first = (await reports(harness))["inbox"]
    assert (first.reported_at, first.failures) == (NOW, 0)
    harness.clock.advance(timedelta(seconds=5))
    loops["inbox"].ok()
    await watchdog.tick()
    assert (await reports(harness))["inbox"].reported_at == NOW  # an idle tick writes nothing
    harness.clock.advance(timedelta(seconds=5))
    loops["inbox"].failed(OSError("server closed the connection unexpectedly"))
    await watchdog.tick()
    failed = (await reports(harness))["inbox"]
    assert failed.reported_at == NOW + timedelta(seconds=10)  # an error is written at once
    assert failed.failures == 1
    assert "server closed the connection" in failed.last_error
    harness.clock.advance(timedelta(seconds=30))
    await watchdog.tick()  # the heartbeat: the process is alive
    assert (await reports(harness))["inbox"].reported_at == NOW + timedelta(seconds=40)


async def test_a_clean_stop_withdraws_the_reports_of_this_process_only(
    harness: BotHarness,
) -> None:
    mine, _ = watching(harness, "outbox", worker_id="bot-a")
    other, _ = watching(harness, "outbox", worker_id="bot-b")
    await mine.tick()
    await other.tick()
    await mine.withdraw()
    async with harness.deps.uow() as uow:
        left = await uow.loops.list()
    assert [(status.worker_id, status.loop) for status in left] == [("bot-b", "outbox")]
