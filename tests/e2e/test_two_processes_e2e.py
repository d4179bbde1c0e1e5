"""Two bot processes on one PostgreSQL and one Redis; one is killed with -9 while it holds work.

Both run `python -m bot run` in webhook mode (the scale-out shape) against the fake Bot API
server. Cases waiting for the buyer's evidence have their 24-hours-before reminders fall due a
few seconds into the test; once process A holds reminder jobs or outbox messages, it is killed
with SIGKILL and not restarted. Process B must free what A held within seconds (both run on this
machine, so B sees A's pid gone; A's 30 s leases are not waited for). Every reminder must still
reach its buyer exactly once, the ones A held hardly later than B's own, none more than
LATE_LIMIT late, and the two processes together must keep Telegram's limits, overall and per
chat, as the fake server counts the sends.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import signal
import socket
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.transport.runtimes import Runtime
from cases.deadlines import jobs_for
from cases.model import CaseStatus, DeadlineKind
from cases.policy import Policy, parse_hours
from sandbox.botapi import FakeBotAPI
from storage.db import make_engine, make_session_factory
from storage.models import JobRow, OutboxRow
from storage.uow import SqlUnitOfWork
from tests.dbs import backend
from tests.processes import bot_env
from tests.storage.factories import case, order

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        backend() != "postgres", reason="several processes share PostgreSQL, not SQLite"
    ),
]

SECRET = "two-processes-secret_0123456789"
# 60 buyers with one case, 3 with four: the four reminders to one chat must keep 1 per second,
# and 72 reminders due within one second must be spread to Telegram's 30 a second overall.
SINGLE, MULTI, PER_MULTI = 60, 3, 4
BUYER0 = 810_000
# Reminders fall due over this many seconds from FIRST_DUE after the processes are up.
FIRST_DUE, SPREAD = 4.0, 1.0
# The killed process's rows are taken over, not left to their 30 s leases (reminders were up to
# 31 s late then). How late the survivor gets its own reminders out depends on the machine's load
# (about 3 s on a quiet one, 17 s with a load of 12 on 2 cores), so the reminders the killed one
# held are judged against those: no more than TAKEOVER_LIMIT later than the latest of the others.
LATE_LIMIT = 30.0
# Two starts side by side: on a loaded shared 2-core machine importing the bot alone has taken
# over a minute (as in the crash-restart test).
START_TIMEOUT = 180.0
# B looks at the other workers twice a second; A's pid is gone at once.
TAKEOVER_LIMIT = 5.0
CASE_NO = re.compile(r"TS\d{8}-\d{5}")
SEND_METHODS = {"sendmessage", "sendphoto", "senddocument", "sendvideo"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    client = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
    try:
        await client.ping()
    except (RedisError, OSError) as problem:
        pytest.skip(f"Redis at TEST_REDIS_URL={url} is unreachable ({problem})")
    finally:
        await client.aclose()
    return url


@pytest.fixture
async def own_api() -> AsyncIterator[FakeBotAPI]:
    """A fake Bot API for a bot id of this test's own: its Redis budget is nobody else's."""
    bot_id = 5_000_000 + uuid.uuid4().int % 1_000_000
    async with FakeBotAPI(token=f"{bot_id}:two-processes") as api:
        yield api
        api.assert_no_unexpected_calls()


def buyers() -> list[int]:
    """The buyer of each case, in case order."""
    return [BUYER0 + n for n in range(SINGLE)] + [
        BUYER0 + SINGLE + m for m in range(MULTI) for _ in range(PER_MULTI)
    ]


async def seed_cases(database_url: str, first_due: datetime) -> dict[str, datetime]:
    """Cases awaiting evidence whose first reminder falls due from `first_due` on.

    Returns each case number with the instant its reminder is due.
    """
    engine = make_engine(database_url)
    # Reminders at any hour: the test runs on the wall clock, at night in Shanghai too.
    policy = Policy(reminder_hours=parse_hours("00:00-24:00"))
    now = datetime.now(UTC)
    due: dict[str, datetime] = {}
    owners = buyers()
    try:
        async with SqlUnitOfWork(make_session_factory(engine)) as uow:
            for n, buyer in enumerate(owners):
                case_no = f"TS20261126-{n:05d}"
                order_no = f"KM2026112630{n:03d}"
                remind_at = first_due + timedelta(seconds=SPREAD * n / len(owners))
                deadline = remind_at + policy.reminder_offsets[0]
                await uow.orders.upsert(order(order_no, buyer_account=f"buyer{n}"))
                filed = case(
                    case_no,
                    order_no,
                    buyer_id=buyer,
                    status=CaseStatus.AWAITING_EVIDENCE,
                    created_at=now,
                    updated_at=now,
                    deadline_kind=DeadlineKind.EVIDENCE,
                    next_deadline_at=deadline,
                )
                filed = replace(filed, merchant_code="M1001")
                await uow.cases.add(filed)
                for spec in jobs_for(filed, 1, now, policy):
                    await uow.jobs.add(spec.kind, spec.due_at, spec.payload, spec.key)
                due[case_no] = remind_at
            await uow.commit()
    finally:
        await engine.dispose()
    return due


async def held_by(engine: AsyncEngine, worker_id: str) -> tuple[int, int]:
    """(pending jobs, pending outbox rows) `worker_id` holds under a live lease right now."""
    now = datetime.now(UTC)
    async with engine.connect() as connection:
        jobs = await connection.scalar(
            select(func.count()).where(
                JobRow.locked_by == worker_id, JobRow.done_at.is_(None), JobRow.locked_until > now
            )
        )
        rows = await connection.scalar(
            select(func.count()).where(
                OutboxRow.locked_by == worker_id,
                OutboxRow.sent_at.is_(None),
                OutboxRow.failed_at.is_(None),
                OutboxRow.locked_until > now,
            )
        )
    return int(jobs or 0), int(rows or 0)


async def held_cases(engine: AsyncEngine, worker_id: str) -> set[str]:
    """The case numbers named by the jobs and outbox rows `worker_id` holds right now."""
    now = datetime.now(UTC)
    async with engine.connect() as connection:
        jobs = await connection.scalars(
            select(JobRow.payload).where(
                JobRow.locked_by == worker_id, JobRow.done_at.is_(None), JobRow.locked_until > now
            )
        )
        rows = await connection.scalars(
            select(OutboxRow.payload).where(
                OutboxRow.locked_by == worker_id,
                OutboxRow.sent_at.is_(None),
                OutboxRow.locked_until > now,
            )
        )
        payloads = [*jobs, *rows]
    return {number for payload in payloads for number in CASE_NO.findall(json.dumps(payload))}


async def start_bot(
    api: FakeBotAPI, runtime: Runtime, database_url: str, redis_url: str, name: str,
    workdir: Path,
) -> asyncio.subprocess.Process:
    env = bot_env(
        api, runtime, database_url, workdir,
        REDIS_URL=redis_url, WORKER_ID=name,
        WEBHOOK_URL="https://bot.example.com/tg/hook", WEBHOOK_SECRET=SECRET,
        WEBHOOK_HOST="127.0.0.1", WEBHOOK_PORT=str(free_port()),
    )
    with (workdir / f"{name}.log").open("wb") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=workdir, env=env, stdout=log, stderr=log
        )


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), timeout=20)
    except TimeoutError:
        process.kill()
        await process.wait()


def max_in_window(times: list[float], window: float) -> int:
    """The most sends that fall within any `window` seconds."""
    times = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


# Seconds before the kill in which a send may have reached the server unmarked (as in the
# crash-restart test).
IN_FLIGHT_WINDOW = 2.0


async def test_a_killed_process_s_reminders_are_taken_over_at_once_fire_once_and_limits_hold(
    own_api: FakeBotAPI, fresh_db_url: str, redis_url: str, tmp_path: Path, bot_runtime: Runtime
) -> None:
    api = own_api
    first = await start_bot(api, bot_runtime, fresh_db_url, redis_url, "bot-a", tmp_path)
    second = await start_bot(api, bot_runtime, fresh_db_url, redis_url, "bot-b", tmp_path)
    engine = make_engine(fresh_db_url)
    try:
        # Both are up once both registered the webhook.
        await api.wait_for(lambda call: call.is_("setWebhook"), START_TIMEOUT)
        first_hook = next(i for i, call in enumerate(api.calls()) if call.is_("setWebhook"))
        await api.wait_for(
            lambda call: call.is_("setWebhook"), START_TIMEOUT, after=first_hook + 1
        )
        # Monotonic send times of the fake server, mapped onto the wall clock.
        offset = time.time() - time.monotonic()
        due = await seed_cases(
            fresh_db_url, datetime.now(UTC) + timedelta(seconds=FIRST_DUE)
        )
        # Killed at the first moment the database shows A holding work under a live lease:
        # claimed reminder jobs, or messages it is sending (which of the two processes claims
        # what is a race, so waiting for A to hold both at once can wait for ever).
        held = (0, 0)
        try:
            async with asyncio.timeout(FIRST_DUE + SPREAD + 30):
                while held == (0, 0):
                    held = await held_by(engine, "bot-a")
                    await asyncio.sleep(0.01)
        except TimeoutError:
            pytest.fail("bot-a never held a reminder job or an outbox row; B took everything")
        orphaned = await held_cases(engine, "bot-a")
        first.send_signal(signal.SIGKILL)
        await first.wait()
        killed_at = time.time()
        after_kill = await held_by(engine, "bot-a")
        async with asyncio.timeout(LATE_LIMIT + 30):
            while await held_by(engine, "bot-a") != (0, 0):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        freed_after = time.time() - killed_at

        owners = dict(zip(due, buyers(), strict=True))

        def reminders() -> list[tuple[str, float]]:
            found = []
            for call in api.calls():
                if call.method.lower() not in SEND_METHODS or not call.ok:
                    continue
                text = str(call.params.get("text", ""))
                for case_no in due:
                    if case_no in text:
                        found.append((case_no, call.at + offset))
            return found

        async with asyncio.timeout(LATE_LIMIT + 30):
            while len({case_no for case_no, _ in reminders()}) < len(due):  # noqa: ASYNC110
                await asyncio.sleep(0.5)
        await asyncio.sleep(2)  # a duplicate would come now, if at all
        arrived = reminders()
    finally:
        await stop(second)
        await stop(first)
        await engine.dispose()

    assert freed_after <= TAKEOVER_LIMIT, freed_after
    counts = Counter(case_no for case_no, _ in arrived)
    # The one repeat the Bot API leaves open (it has no idempotency key): a reminder the killed
    # process sent, and the server accepted, in the instant before the kill, before it could
    # mark it sent. Only such a reminder may arrive twice; any other repeat fails.
    sent_as_killed = {
        case_no for case_no, at in arrived if killed_at - IN_FLIGHT_WINDOW <= at <= killed_at
    }
    allowed = {case_no: 2 if case_no in sent_as_killed else 1 for case_no in due}
    assert all(1 <= counts[case_no] <= allowed[case_no] for case_no in due), counts
    assert set(counts) == set(due), counts
    late = {case_no: at - due[case_no].timestamp() for case_no, at in arrived}
    orphans = max((late[case_no] for case_no in orphaned if case_no in late), default=0.0)
    others = max(late[case_no] for case_no in late if case_no not in orphaned)
    print(  # noqa: T201 (shown with a failure too)
        f"\nlateness of the {len(orphaned)} reminders bot-a held when killed: max {orphans:.1f} s;"
        f" of the others: max {others:.1f} s; bot-a's rows free {freed_after:.1f} s after the kill"
    )
    assert orphans <= others + TAKEOVER_LIMIT, (orphans, others)
    assert max(late.values()) <= LATE_LIMIT, late
    for case_no, _ in arrived:
        chat = next(
            call.params["chat_id"]
            for call in api.calls()
            if case_no in str(call.params.get("text", ""))
        )
        assert chat == owners[case_no]

    sends = [call for call in api.calls() if call.method.lower() in SEND_METHODS]
    overall = max_in_window([call.at for call in sends], 1.0)
    overall_2s = max_in_window([call.at for call in sends], 2.0)
    per_chat: dict[int, list[float]] = defaultdict(list)
    for call in sends:
        per_chat[int(call.params["chat_id"])].append(call.at)
    closest = min(
        (b - a for times in per_chat.values() for a, b in itertools.pairwise(times)),
        default=None,
    )
    # Telegram allows about 30 a second per bot (the bot keeps 29, evenly paced) and 1 a second per
    # chat. The shared limiter spaces sends on Redis's clock; their arrival here jitters by
    # scheduling on a loaded machine, so the overall rate is judged over 2 s (unlimited, the 72
    # reminders due within one second would arrive in about one) and one chat's sends 0.75 s apart
    # (unlimited, they come milliseconds apart).
    assert overall_2s <= 60, overall_2s
    assert closest is not None
    assert closest >= 0.75, closest
    output = "\n".join(
        (tmp_path / f"{name}.log").read_text(errors="replace") for name in ("bot-a", "bot-b")
    )
    assert "Traceback" not in output, output[-5000:]
    print(  # noqa: T201 (the numbers of the run, for whoever reads the log)
        f"\ntwo processes: {len(due)} reminders; bot-a killed holding {held[0]} jobs and "
        f"{held[1]} outbox rows (after the kill: {after_kill}), free again "
        f"{freed_after:.1f} s after the kill; lateness max "
        f"{max(late.values()):.1f} s, median {sorted(late.values())[len(late) // 2]:.1f} s; "
        f"last reminder {max(at for _, at in arrived) - killed_at:.1f} s after the kill; "
        f"most sends in one second: {overall}, in two: {overall_2s}; "
        f"closest two sends to one chat: {closest:.2f} s"
    )
