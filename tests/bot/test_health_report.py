"""`complaint-bot health` and `/health` show each process's loops from another process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from cases.health import LoopStatus
from sandbox.botapi import FakeBotAPI
from storage.db import make_engine, make_session_factory
from storage.uow import SqlUnitOfWork
from tests.bot.harness import BotHarness, bot_harness
from tests.bot.test_staff_chat import AGENT, OUTSIDER, STAFF_GROUP, in_group
from tests.dbs import fresh_database_url

LOCKED = "OperationalError: (sqlite3.OperationalError) database is locked"


def status(
    worker_id: str, loop: str, now: datetime, *, quiet: timedelta, error: str | None = None
) -> LoopStatus:
    return LoopStatus(
        worker_id=worker_id,
        loop=loop,
        started_at=now - timedelta(hours=1),
        reported_at=now,
        last_success_at=now - quiet,
        last_error=error,
        last_error_at=None if error is None else now - timedelta(seconds=20),
        failures=0 if error is None else 7,
    )


def fine(worker_id: str, now: datetime) -> list[LoopStatus]:
    return [
        status(worker_id, "deadlines", now, quiet=timedelta(seconds=3)),
        status(worker_id, "outbox", now, quiet=timedelta(seconds=1)),
    ]


def stalled(worker_id: str, now: datetime) -> list[LoopStatus]:
    return [
        status(worker_id, "deadlines", now, quiet=timedelta(minutes=6), error=LOCKED),
        status(worker_id, "outbox", now, quiet=timedelta(seconds=1)),
    ]


async def report(url: str, *workers: list[LoopStatus]) -> None:
    engine = make_engine(url)
    try:
        async with SqlUnitOfWork(make_session_factory(engine)) as uow:
            for statuses in workers:
                await uow.loops.report(statuses[0].worker_id, statuses)
            await uow.commit()
    finally:
        await engine.dispose()


@pytest.fixture
async def database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[str]:
    async with fresh_database_url(tmp_path) as url:
        monkeypatch.chdir(tmp_path)  # no .env of the project
        for name, value in {"DATABASE_URL": url, "BOT_TOKEN": "", "DEFAULT_LOCALE": "en"}.items():
            monkeypatch.setenv(name, value)
        yield url


async def health(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Runs `complaint-bot health ARGS` as the console script does; (exit code, its output)."""
    code = await asyncio.to_thread(main, ["health", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


async def test_health_lists_every_loop_and_exits_0_when_all_succeed(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await report(database, fine("bot-a", datetime.now(UTC)))
    code, out = await health(capsys)
    assert code == 0
    assert "All background loops are running" in out
    assert "Process bot-a" in out
    assert "deadlines: last success" in out
    assert "outbox: last success" in out
    assert "<" not in out  # plain text in a terminal


async def test_health_exits_1_and_names_the_loop_that_has_not_succeeded_for_5_minutes(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC)
    await report(database, stalled("bot-a", now), fine("bot-b", now))
    code, out = await health(capsys)
    assert code == 1
    assert "A background loop has stalled" in out
    assert "❌ deadlines" in out
    assert "none for 6 minutes, 7 failures in a row" in out
    assert "database is locked" in out
    # A container checks its own process only: bot-b is fine whatever bot-a does.
    assert (await health(capsys, "--worker", "bot-b"))[0] == 0
    assert (await health(capsys, "--worker", "bot-a"))[0] == 1


async def test_a_silent_process_is_shown_but_does_not_fail_the_check_of_the_live_ones(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC)
    await report(database, stalled("gone", now - timedelta(minutes=30)), fine("bot-b", now))
    code, out = await health(capsys)
    assert code == 0
    assert "Process gone (silent since" in out
    # Asked about itself, a process that stopped reporting is not healthy.
    assert (await health(capsys, "--worker", "gone"))[0] == 1


async def test_health_exits_1_when_no_process_reports_or_the_asked_one_is_unknown(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = await health(capsys)
    assert code == 1
    assert "No bot process is reporting" in out
    await report(database, fine("bot-a", datetime.now(UTC)))
    code, out = await health(capsys, "--worker", "bot-z")
    assert code == 1
    assert "bot-z has not reported anything" in out


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    now = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
    async with bot_harness(tmp_path, fake_api, now, staff_chat_id=STAFF_GROUP) as running:
        async with running.deps.uow() as uow:
            await uow.staff.set_role(AGENT, "agent", now)
            await uow.loops.report("bot-a", stalled("bot-a", now))
            await uow.commit()
        yield running


async def test_health_in_the_staff_chat_shows_staff_the_same_report(harness: BotHarness) -> None:
    agent = in_group(harness, AGENT)
    await agent.send("/health")
    said = agent.last_text()
    assert "有后台任务停滞" in said
    assert "进程 bot-a" in said
    assert "❌ deadlines" in said
    assert "连续失败 7 次" in said
    assert "database is locked" in said


async def test_health_is_refused_to_a_group_member_who_is_not_staff(harness: BotHarness) -> None:
    outsider = in_group(harness, OUTSIDER)
    await outsider.send("/health")
    assert "bot-a" not in " ".join(outsider.texts())
    assert outsider.texts()  # told why, not ignored
