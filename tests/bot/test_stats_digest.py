"""The weekly digest: last week's stats in the staff chat on Monday at 09:00, once, however many
processes run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.deadlines import DeadlineWorker
from bot.digest import DIGEST_JOB, schedule_first_digest
from sandbox.botapi import FakeBotAPI
from storage.models import JobRow
from tests.bot.harness import BotHarness
from tests.bot.test_filing_through_dispatcher import file_complaint
from tests.bot.test_merchant_through_dispatcher import deliver_notices
from tests.bot.test_stats_through_bot import STAFF_CHAT, photos, two_shops

# Monday 30 Nov 2026, 09:00 in Shanghai; the cases are filed on Thu 26 Nov.
MONDAY_NINE = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    async with two_shops(tmp_path, fake_api) as running:
        yield running


async def digest_jobs(harness: BotHarness) -> list[tuple[str, datetime, bool]]:
    async with harness.deps.engine.connect() as connection:
        rows = await connection.execute(
            select(JobRow.key, JobRow.due_at, JobRow.done_at).where(JobRow.kind == DIGEST_JOB)
        )
        return sorted((r.key, r.due_at, r.done_at is not None) for r in rows)


async def test_the_digest_is_scheduled_once_for_the_next_monday_morning(
    harness: BotHarness,
) -> None:
    await schedule_first_digest(harness.deps)
    await schedule_first_digest(harness.deps)  # a second process starting
    assert await digest_jobs(harness) == [("digest:2026-11-30", MONDAY_NINE, False)]


async def test_two_workers_send_last_weeks_digest_once_and_schedule_the_next(
    harness: BotHarness,
) -> None:
    await schedule_first_digest(harness.deps)
    for n in range(2):
        await file_complaint(harness.user(1001 + n), f"KM{n + 1}")
    one, two = DeadlineWorker(harness.deps, "w1"), DeadlineWorker(harness.deps, "w2")
    harness.clock.set(MONDAY_NINE - timedelta(minutes=1))
    await one.run_once()
    await deliver_notices(harness)
    assert photos(harness, STAFF_CHAT) == []  # not before 09:00
    harness.clock.set(MONDAY_NINE + timedelta(seconds=5))
    await one.run_once()
    await two.run_once()
    await deliver_notices(harness)
    (photo,) = photos(harness, STAFF_CHAT)
    assert "每周投诉摘要：2026-11-23 至 2026-11-29" in photo.params["caption"]
    texts = [m.plain_text for m in harness.api.sent_messages(STAFF_CHAT)]
    digest = [text for text in texts if text.startswith("📊 投诉统计 2026-11-23 至 2026-11-29")]
    assert len(digest) == 1
    assert "共 2 件投诉" in digest[0]
    assert await digest_jobs(harness) == [
        ("digest:2026-11-30", MONDAY_NINE, True),
        ("digest:2026-12-07", MONDAY_NINE + timedelta(days=7), False),
    ]
