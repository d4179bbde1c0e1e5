"""The retention loop deletes old bookkeeping rows, batch after batch, and keeps the rest."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from bot.config import Settings
from bot.retention import Purged, RetentionWorker
from sandbox.botapi import FakeBotAPI
from storage.models import InboxRow, OutboxRow, ProcessedUpdateRow
from tests.bot.harness import BotHarness, bot_harness
from tests.bot.test_filing_through_dispatcher import NOW


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI):  # type: ignore[no-untyped-def]
    async with bot_harness(
        tmp_path, fake_api, NOW, inbox_retention_days=7, outbox_retention_days=30
    ) as running:
        yield running


async def _count(harness: BotHarness, table: type) -> int:
    async with harness.deps.engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(table)) or 0)


async def test_a_round_deletes_what_is_past_retention_in_batches(harness: BotHarness) -> None:
    eight_days, two_days = NOW - timedelta(days=8), NOW - timedelta(days=2)
    async with harness.deps.engine.begin() as connection:
        for n in range(5):  # more than one batch of two
            await connection.execute(
                insert(InboxRow).values(
                    update_id=n, chat_id=1, payload={}, received_at=eight_days, done_at=eight_days
                )
            )
            await connection.execute(
                insert(ProcessedUpdateRow).values(update_id=n, processed_at=eight_days)
            )
        await connection.execute(
            insert(InboxRow).values(
                update_id=99, chat_id=1, payload={}, received_at=two_days, done_at=two_days
            )
        )
        for n, sent in enumerate((NOW - timedelta(days=31), NOW - timedelta(days=8))):
            await connection.execute(
                insert(OutboxRow).values(chat_id=1, payload={"n": n}, due_at=sent, sent_at=sent)
            )
    worker = RetentionWorker(harness.deps, batch=2)
    assert await worker.run_once() == Purged(inbox=5, processed_updates=5, outbox=1)
    assert await _count(harness, InboxRow) == 1  # handled two days ago: kept
    assert await _count(harness, ProcessedUpdateRow) == 0
    assert await _count(harness, OutboxRow) == 1  # sent eight days ago: within 30
    assert await worker.run_once() == Purged(0, 0, 0)


def test_the_retention_ages_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INBOX_RETENTION_DAYS", "3")
    monkeypatch.setenv("OUTBOX_RETENTION_DAYS", "90")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.inbox_retention_days, settings.outbox_retention_days) == (3, 90)
    monkeypatch.setenv("INBOX_RETENTION_DAYS", "0")
    with pytest.raises(ValueError, match="inbox_retention_days"):
        Settings(_env_file=None)  # type: ignore[call-arg]
