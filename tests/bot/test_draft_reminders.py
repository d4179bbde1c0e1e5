"""An unfinished complaint is remembered a day before its complaint window closes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.deadlines import DeadlineWorker
from dialogs.types import Reply
from sandbox.botapi import FakeBotAPI
from tests.bot.harness import BotHarness, bot_harness
from tests.bot.test_deadline_worker import outbox
from tests.bot.test_filing_through_dispatcher import NOW, file_complaint, order

# The order was paid a day before NOW: its 7-day window closes 6 days after NOW.
REMINDER_DUE = NOW + timedelta(days=5)


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    async with bot_harness(tmp_path, fake_api, NOW) as running:
        await running.add_orders(order())
        yield running


async def run_due(harness: BotHarness) -> None:
    worker = DeadlineWorker(harness.deps, "w1")
    while await worker.run_once():
        pass


async def test_a_verified_draft_left_unfinished_is_remembered_before_the_window_closes(
    harness: BotHarness,
) -> None:
    buyer = harness.user(language_code="en")
    await buyer.send("/complain KM202611250001")
    await buyer.send("lihua_88")  # proves the order is theirs, then goes quiet
    harness.clock.set(REMINDER_DUE - timedelta(minutes=1))
    await run_due(harness)
    assert [r for r in await outbox(harness) if r.chat_id == buyer.id] == []
    harness.clock.set(REMINDER_DUE + timedelta(minutes=1))
    await run_due(harness)
    [reminder] = [r for r in await outbox(harness) if r.chat_id == buyer.id]
    assert "reminder.draft_window_closing" in str(reminder.payload)
    assert "KM202611250001" in str(reminder.payload)
    raw = reminder.payload
    payload = json.loads(raw) if isinstance(raw, str) else raw  # SQLite gives text back
    assert payload["locale"] == "en"
    reply = Reply.from_payload(payload)
    shown = harness.deps.translator.render("en", reply.key, reply.params)
    assert "2026-12-02 11:00" in shown  # paid Wed 25 Nov 11:00 in Shanghai, plus 7 days


async def test_a_submitted_draft_is_not_remembered(harness: BotHarness) -> None:
    buyer = harness.user()
    await file_complaint(buyer)
    harness.clock.set(REMINDER_DUE + timedelta(minutes=1))
    await run_due(harness)
    assert [r for r in await outbox(harness) if r.chat_id == buyer.id] == []


async def test_saving_the_draft_again_schedules_one_reminder(harness: BotHarness) -> None:
    buyer = harness.user()
    await buyer.send("/complain KM202611250001")
    await buyer.send("lihua_88")
    await buyer.click("f:back")
    await buyer.send("lihua_88")  # verified a second time
    harness.clock.set(REMINDER_DUE + timedelta(hours=1))
    await run_due(harness)
    assert len([r for r in await outbox(harness) if r.chat_id == buyer.id]) == 1
