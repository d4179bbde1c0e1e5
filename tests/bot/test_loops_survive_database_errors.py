"""Every background loop of bot/runner.py outlives a database that fails under it.

Each test runs one real loop under the Supervisor, as the runner does, on a unit-of-work
factory whose first few units fail as SQLite does when a lock outlasts the busy timeout; the
loop must record the error, back off, and then do its work.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import OperationalError

from bot.audit_heads import HeadsPublisher
from bot.backoff import Backoff
from bot.deadlines import DeadlineWorker
from bot.deps import Deps
from bot.evidence import EvidenceDownloader, evidence_path
from bot.heartbeat import Heartbeat
from bot.inbox import InboxWorker, store_updates
from bot.intake import PollingIntake
from bot.leases import LEASE, LeaseKeeper
from bot.outbox import OutboxSender
from bot.payouts import PayoutWorker
from bot.platform_gateway import ManualGateway
from bot.retention import RetentionWorker
from bot.supervisor import Loop, LoopHealth, Supervisor
from bot.watchdog import Watchdog
from cases.erasure import REMOVE_EVIDENCE_FILE_JOB
from cases.refunds import PAYOUT_JOB
from sandbox.botapi import FakeBotAPI
from storage.models import InboxRow, JobRow, OutboxRow, WorkerLoopRow, WorkerRow
from storage.ports import IncomingUpdate
from tests.bot.harness import BotHarness, bot_harness
from tests.bot.test_deadline_worker import REVIEW_DUE
from tests.bot.test_filing_through_dispatcher import NOW, file_complaint, order

FAILURES = 3
QUICK = Backoff(timedelta(milliseconds=5))


class LockedDatabase:
    """A `deps.uow` whose first `failures` units of work fail to begin: "database is locked"."""

    def __init__(self, real: Callable[[], Any], failures: int = FAILURES) -> None:
        self.real = real
        self.left = failures

    def __call__(self) -> Any:
        if self.left > 0:
            self.left -= 1
            return _Locked()
        return self.real()


class _Locked:
    async def __aenter__(self) -> Any:
        raise OperationalError("BEGIN", None, sqlite3.OperationalError("database is locked"))

    async def __aexit__(self, *exc_info: object) -> None:
        return None


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    async with bot_harness(tmp_path, fake_api, NOW, staff_chat_id=-100555) as running:
        await running.add_orders(order())
        yield running


@pytest.fixture
def locked(harness: BotHarness) -> tuple[Deps, LockedDatabase]:
    database = LockedDatabase(harness.deps.uow)
    return replace(harness.deps, uow=database), database


async def quick_sleep(seconds: float) -> None:
    await asyncio.sleep(min(seconds, 0.01))


async def until(condition: Callable[[], Any], timeout: float = 10.0) -> None:  # noqa: ASYNC109
    async with asyncio.timeout(timeout):
        while not await condition():  # noqa: ASYNC110  (rows and files send no event)
            await asyncio.sleep(0.01)


async def supervised(
    harness: BotHarness, name: str, start: Callable[[Supervisor], object], done: Callable[[], Any]
) -> LoopHealth:
    """Runs one loop under a supervisor until `done()`; returns its health."""
    supervisor = Supervisor(harness.clock, sleep=quick_sleep)
    start(supervisor)

    async def done_and_reported() -> bool:
        return await done() and supervisor.loops[name].last_success_at is not None

    try:
        await until(done_and_reported)
    finally:
        await supervisor.stop_all()
    health = supervisor.loops[name]
    status = health.snapshot("w1", harness.clock.now())
    assert status.last_error is not None
    assert "database is locked" in status.last_error
    assert status.last_success_at is not None
    return health


async def repeated(
    harness: BotHarness,
    name: str,
    step: Callable[[], Any],
    done: Callable[[], Any],
    *,
    periodic: bool = False,
) -> LoopHealth:
    """`supervised` for a loop the runner starts with `Supervisor.repeat`."""
    return await supervised(
        harness,
        name,
        lambda s: s.repeat(name, step, idle=0.01, periodic=periodic, backoff=QUICK),
        done,
    )


async def started(
    harness: BotHarness, name: str, run: Loop, done: Callable[[], Any]
) -> LoopHealth:
    """`supervised` for a loop the runner starts with `Supervisor.start`."""
    return await supervised(harness, name, lambda s: s.start(name, run, backoff=QUICK), done)


def rows(harness: BotHarness, query: Any, expected: int) -> Callable[[], Any]:
    """A condition: `query` counts `expected` rows."""

    async def condition() -> bool:
        return await count(harness, query) == expected

    return condition


async def count(harness: BotHarness, query: Any) -> int:
    async with harness.deps.engine.connect() as connection:
        return int(await connection.scalar(query) or 0)


def pending(kind: str) -> Any:
    """Counts the jobs of `kind` not done yet."""
    return select(func.count()).select_from(JobRow).where(
        JobRow.kind == kind, JobRow.done_at.is_(None)
    )


async def add_job(harness: BotHarness, kind: str, payload: dict[str, Any]) -> None:
    async with harness.deps.uow() as uow:
        await uow.jobs.add(kind, harness.clock.now(), payload)
        await uow.commit()


async def test_the_deadline_worker_fires_the_reminder_once_the_database_is_back(
    harness: BotHarness, locked: tuple[Deps, LockedDatabase]
) -> None:
    await file_complaint(harness.user())
    harness.clock.set(REVIEW_DUE - timedelta(hours=23))
    deps, _ = locked
    reminders = select(func.count()).select_from(OutboxRow).where(
        OutboxRow.key.startswith("remind:")
    )

    worker = DeadlineWorker(deps, "w1")
    await repeated(harness, "deadlines", worker.run_once, rows(harness, reminders, 1))


async def test_the_evidence_loop_deletes_a_removed_file_once_the_database_is_back(
    harness: BotHarness, locked: tuple[Deps, LockedDatabase]
) -> None:
    digest = "ab" * 32
    path = evidence_path(harness.deps.settings.evidence_dir, digest)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"old evidence")
    await add_job(harness, REMOVE_EVIDENCE_FILE_JOB, {"sha256": digest})
    deps, _ = locked
    downloader = EvidenceDownloader(deps, harness.bot, "w1")

    async def deleted() -> bool:
        return not path.exists() and await count(harness, pending(REMOVE_EVIDENCE_FILE_JOB)) == 0

    await repeated(harness, "evidence", downloader.run_once, deleted)


async def test_the_payout_loop_works_its_job_once_the_database_is_back(
    harness: BotHarness, locked: tuple[Deps, LockedDatabase]
) -> None:
    await add_job(harness, PAYOUT_JOB, {"case_no": "TS20261126-GONE0"})
    deps, _ = locked
    worker = PayoutWorker(deps, ManualGateway(), "w1")

    await repeated(harness, "payouts", worker.run_once, rows(harness, pending(PAYOUT_JOB), 0))


async def test_the_retention_loop_deletes_old_rows_once_the_database_is_back(
    harness: BotHarness, locked: tuple[Deps, LockedDatabase]
) -> None:
    old = NOW - timedelta(days=30)
    async with harness.deps.engine.begin() as connection:
        await connection.execute(
            insert(InboxRow).values(
                update_id=1, chat_id=1, payload={}, received_at=old, done_at=old
            )
        )
    deps, _ = locked
    worker = RetentionWorker(deps)

    purged = rows(harness, select(func.count()).select_from(InboxRow), 0)
    await repeated(harness, "retention", worker.run_once, purged, periodic=True)


async def test_the_audit_heads_loop_publishes_once_the_database_is_back(
    harness: BotHarness, locked: tuple[Deps, LockedDatabase]
) -> None:
    await file_complaint(harness.user())
    deps, _ = locked
    publisher = HeadsPublisher(deps)

    # The day's line is written first; the staff chat's copy waits for the database.
    told = rows(harness, select(func.count()).select_from(OutboxRow).where(
        OutboxRow.key.like("audit-heads:%")
    ), 1)
    await repeated(harness, "audit-heads", publisher.run_once, told, periodic=True)
    lines = deps.settings.resolved_audit_heads_file.read_text().splitlines()
    assert len(lines) == 1


async def test_the_lease_heartbeat_renews_once_the_database_is_back(
    harness: BotHarness, locked: tuple[Deps, LockedDatabase]
) -> None:
    async with harness.deps.uow() as uow:
        await uow.inbox.add_many([IncomingUpdate(1, 7, {"update_id": 1})], NOW)
        await uow.inbox.claim(NOW, "w1", LEASE, 1)
        await uow.commit()
    harness.clock.advance(timedelta(seconds=5))
    deps, _ = locked
    keeper = LeaseKeeper(deps, "w1")
    renewed = select(func.count()).select_from(InboxRow).where(
        InboxRow.locked_until == harness.clock.now() + LEASE
    )

    await repeated(harness, "leases", keeper.renew, rows(harness, renewed, 1), periodic=True)


async def test_the_outbox_loop_sends_once_its_claims_work_again(
    harness: BotHarness, locked: tuple[Deps, LockedDatabase]
) -> None:
    async with harness.deps.uow() as uow:
        await uow.outbox.add(-100555, {"locale": "en", "key": "staff.queue_empty"}, NOW)
        await uow.commit()
    deps, _ = locked
    sender = OutboxSender(deps, harness.bot, "w1")

    async def sent() -> bool:
        return any(call.ok for call in harness.api.calls("sendMessage"))

    await started(harness, "outbox", lambda health: sender.run_forever(health, idle=0.01), sent)


async def test_the_inbox_lanes_handle_the_update_once_their_claims_work_again(
    harness: BotHarness, locked: tuple[Deps, LockedDatabase]
) -> None:
    buyer = harness.api.user(id=2001, language_code="en")
    await store_updates(harness.deps, [buyer.build_command("start")])
    deps, _ = locked
    worker = InboxWorker(deps, harness.turns, "w1", concurrency=2)

    async def answered() -> bool:
        return bool(harness.api.sent_messages(buyer.chat_id))

    await started(harness, "inbox", lambda health: worker.run_forever(health, idle=0.01), answered)


async def test_polling_stores_the_update_once_the_database_is_back(
    harness: BotHarness, locked: tuple[Deps, LockedDatabase]
) -> None:
    buyer = harness.api.user(id=2001, language_code="en")
    await harness.api.queue_update(buyer.build_command("start"))
    deps, _ = locked
    inbox = InboxWorker(deps, harness.turns, "w1")
    intake = PollingIntake(deps, harness.bot, inbox, ["message"], timeout=0)

    stored = rows(harness, select(func.count()).select_from(InboxRow), 1)
    health = await started(harness, "polling", intake.run_forever, stored)
    assert health.failures == 0


async def test_the_watchdog_writes_its_report_once_the_database_is_back(
    harness: BotHarness, locked: tuple[Deps, LockedDatabase]
) -> None:
    deps, _ = locked
    reported = rows(harness, select(func.count()).select_from(WorkerLoopRow), 1)
    await supervised(
        harness,
        "watchdog",
        lambda s: s.repeat(
            "watchdog", Watchdog(deps, s, "w1").tick, idle=0.01, periodic=True, backoff=QUICK
        ),
        reported,
    )


async def test_the_process_heartbeat_beats_once_the_database_is_back(
    harness: BotHarness, locked: tuple[Deps, LockedDatabase]
) -> None:
    deps, _ = locked
    heartbeat = Heartbeat(harness.deps, "w1")
    await heartbeat.start()
    heartbeat.deps = deps
    beaten = select(func.count()).select_from(WorkerRow).where(WorkerRow.beats > 0)
    await repeated(harness, "heartbeat", heartbeat.beat, rows(harness, beaten, 1), periodic=True)


async def test_the_takeover_watch_frees_a_dead_worker_s_rows_once_the_database_is_back(
    harness: BotHarness, locked: tuple[Deps, LockedDatabase]
) -> None:
    here = Heartbeat(harness.deps, "w1").identity
    # A worker of this machine whose process is gone: pid 2**22 + 1 is above Linux's pid_max.
    dead = Heartbeat(harness.deps, "w0", identity=replace(here, pid=2**22 + 1))
    await dead.start()
    async with harness.deps.uow() as uow:
        await uow.inbox.add_many([IncomingUpdate(1, 7, {"update_id": 1})], NOW)
        await uow.inbox.claim(NOW, "w0", LEASE, 1)
        await uow.commit()
    deps, _ = locked
    watch = Heartbeat(deps, "w1", identity=here)
    freed = rows(
        harness, select(func.count()).select_from(InboxRow).where(InboxRow.locked_by.is_(None)), 1
    )
    await repeated(harness, "takeover", watch.check, freed, periodic=True)
