"""Reminders and deadlines fire from the job table, once, through the real storage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import or_, select

from bot.deadlines import DeadlineWorker
from cases.lifecycle import Action
from cases.model import CaseStatus, Merchant
from cases.workflow import perform
from sandbox.botapi import FakeBotAPI
from storage.models import OutboxRow
from tests.bot.harness import BotHarness, bot_harness
from tests.bot.test_filing_through_dispatcher import NOW, file_complaint, order

STAFF_CHAT = -100555
AGENT = 900
MERCHANT_USER = 901
# A case filed on Thu 26 Nov is reviewed by the end of Tue 1 Dec in Shanghai.
REVIEW_DUE = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI):  # type: ignore[no-untyped-def]
    async with bot_harness(tmp_path, fake_api, NOW, staff_chat_id=STAFF_CHAT) as running:
        await running.add_orders(order())
        async with running.deps.uow() as uow:
            await uow.staff.set_role(AGENT, "agent", NOW)
            await uow.merchants.upsert("M1001", "Steam 卡店", NOW)
            await uow.merchants.set_bind_token("M1001", "h" * 64, NOW)
            bound = await uow.merchants.bind("h" * 64, MERCHANT_USER, NOW)
            await uow.commit()
        assert bound == Merchant("M1001", "Steam 卡店", MERCHANT_USER)
        yield running


async def outbox(harness: BotHarness) -> list[Any]:
    """The notifications queued (not the replies to updates, which are outbox rows too)."""
    async with harness.deps.engine.connect() as connection:
        # Through the model, so payload is a dict on every backend (raw SQL gives text on SQLite).
        columns = (OutboxRow.chat_id, OutboxRow.payload, OutboxRow.key)
        notice = or_(OutboxRow.key.is_(None), ~OutboxRow.key.startswith("reply:"))
        query = select(*columns).where(notice)
        result = await connection.execute(query.order_by(OutboxRow.id))
        return list(result.all())


async def act(harness: BotHarness, case_no: str, action: Action, user: int | None) -> None:
    deps = harness.deps
    async with deps.uow() as uow:
        await perform(
            uow, deps.clock, deps.policy, deps.calendar, deps.notifier, case_no, action, user
        )
        await uow.commit()


async def test_staff_are_reminded_before_the_review_deadline_and_alerted_once_after(
    harness: BotHarness,
) -> None:
    case_no = await file_complaint(harness.user())
    worker = DeadlineWorker(harness.deps, "w1")
    assert await worker.run_once() == 0  # nothing due yet
    harness.clock.set(REVIEW_DUE - timedelta(hours=23))
    assert await worker.run_once() == 1
    reminders = [r for r in await outbox(harness) if r.key and r.key.startswith("remind:")]
    assert [r.chat_id for r in reminders] == [STAFF_CHAT]
    assert reminders[0].payload["key"] == "notice.remind.review"
    harness.clock.set(REVIEW_DUE + timedelta(minutes=1))
    # The 2 h reminder (late, still current), the deadline itself, and the filed draft's
    # reminder (obsolete: the draft was submitted).
    assert await worker.run_once() == 3
    assert await worker.run_once() == 0
    overdue = [r for r in await outbox(harness) if r.key and r.key.startswith("overdue:")]
    assert len(overdue) == 1
    assert case_no in str(overdue[0].payload)


async def test_merchant_silence_until_the_deadline_refunds_the_buyer(
    harness: BotHarness,
) -> None:
    case_no = await file_complaint(harness.user())
    await act(harness, case_no, Action.SEND_TO_MERCHANT, AGENT)
    merchant_notices = [r for r in await outbox(harness) if r.chat_id == MERCHANT_USER]
    assert len(merchant_notices) == 1
    harness.clock.advance(timedelta(days=10))
    worker = DeadlineWorker(harness.deps, "w1")
    while await worker.run_once():
        pass
    async with harness.deps.uow() as uow:
        case = await uow.cases.get(case_no)
        events = await uow.events.list(case_no)
    assert case is not None
    assert case.status is CaseStatus.REFUND_PENDING
    assert case.approved_amount == case.refund_amount
    assert [event.action for event in events][-1] == Action.MERCHANT_TIMEOUT.value


async def test_a_reminder_made_obsolete_by_a_transition_sends_nothing(
    harness: BotHarness,
) -> None:
    case_no = await file_complaint(harness.user())
    await act(harness, case_no, Action.TAKE, AGENT)
    await act(harness, case_no, Action.SEND_TO_MERCHANT, AGENT)
    before = len(await outbox(harness))
    # Jump to just before the old review deadline: its reminders were cancelled.
    harness.clock.set(REVIEW_DUE - timedelta(hours=1))
    worker = DeadlineWorker(harness.deps, "w1")
    while await worker.run_once():
        pass
    review_reminders = [
        r for r in (await outbox(harness))[before:] if "notice.remind.review" in str(r.payload)
    ]
    assert review_reminders == []


async def test_a_process_taken_over_fires_no_reminder_it_still_claims(
    harness: BotHarness,
) -> None:
    await file_complaint(harness.user())
    harness.clock.set(REVIEW_DUE - timedelta(hours=23))
    harness.deps.liveness.taken_over()  # another process took this one for dead (bot/heartbeat.py)
    assert await DeadlineWorker(harness.deps, "w1").run_once() == 1
    assert [r for r in await outbox(harness) if r.key and r.key.startswith("remind:")] == []
