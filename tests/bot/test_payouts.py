"""Approved refunds are paid through the platform gateway, once, by the payout loop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.payouts import PayoutWorker
from bot.platform_gateway import HttpGateway, ManualGateway
from cases.lifecycle import Action
from cases.model import CaseStatus
from sandbox.botapi import FakeBotAPI
from tests.bot.harness import BotHarness, bot_harness
from tests.bot.test_deadline_worker import AGENT, STAFF_CHAT, act, outbox
from tests.bot.test_filing_through_dispatcher import NOW, file_complaint, order
from tests.fakes.platform import FakePlatform

SECRET = "s3cret-for-the-platform-api"


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    async with bot_harness(
        tmp_path, fake_api, NOW, staff_chat_id=STAFF_CHAT, platform_gateway="manual"
    ) as running:
        await running.add_orders(order())
        async with running.deps.uow() as uow:
            await uow.staff.set_role(AGENT, "agent", NOW)
            await uow.commit()
        yield running


async def approved_case(harness: BotHarness) -> str:
    case_no = await file_complaint(harness.user())
    await act(harness, case_no, Action.TAKE, AGENT)
    deps = harness.deps
    from cases.workflow import perform

    async with deps.uow() as uow:
        await perform(
            uow, deps.clock, deps.policy, deps.calendar, deps.notifier, case_no,
            Action.APPROVE_REFUND, AGENT, amount=8000,
        )
        await uow.commit()
    return case_no


async def status_of(harness: BotHarness, case_no: str) -> CaseStatus:
    async with harness.deps.uow() as uow:
        case = await uow.cases.get(case_no)
    assert case is not None
    return case.status


async def sleep_not(_: float) -> None:
    """The adapter's own retry pauses are not what these tests measure."""


async def test_a_platform_that_pays_at_once_closes_the_case_as_refunded(
    harness: BotHarness,
) -> None:
    case_no = await approved_case(harness)
    async with FakePlatform(SECRET, harness.clock, pays_at_once=True) as platform:
        gateway = HttpGateway(platform.url, SecretStr(SECRET), sleep=sleep_not, clock=harness.clock)
        worker = PayoutWorker(harness.deps, gateway, "w1")
        assert await worker.run_once() == 1
        assert await worker.run_once() == 0
    [request] = platform.verified
    assert request.json["case_no"] == case_no
    assert request.json["amount"] == 8000
    assert await status_of(harness, case_no) is CaseStatus.REFUNDED
    async with harness.deps.uow() as uow:
        events = await uow.events.list(case_no)
    assert events[-1].action == Action.CONFIRM_REFUND.value
    assert events[-1].actor_kind.value == "system"


async def test_an_accepted_refund_is_asked_about_again_until_it_is_paid(
    harness: BotHarness,
) -> None:
    case_no = await approved_case(harness)
    async with FakePlatform(SECRET, harness.clock) as platform:
        gateway = HttpGateway(platform.url, SecretStr(SECRET), sleep=sleep_not, clock=harness.clock)
        worker = PayoutWorker(harness.deps, gateway, "w1")
        assert await worker.run_once() == 1
        assert await status_of(harness, case_no) is CaseStatus.REFUND_PENDING
        assert await worker.run_once() == 0  # not due again yet
        platform.refunds[case_no]["status"] = "paid"  # the platform pays meanwhile
        harness.clock.advance(timedelta(minutes=31))
        assert await worker.run_once() == 1
    assert len(platform.refunds) == 1  # one refund, whatever the number of questions
    assert await status_of(harness, case_no) is CaseStatus.REFUNDED


async def test_a_refused_payout_is_handed_to_staff_and_the_case_stays_pending(
    harness: BotHarness,
) -> None:
    case_no = await approved_case(harness)
    async with FakePlatform(SECRET, harness.clock) as platform:
        platform.answer_next(400, {"code": "account_closed", "message": "buyer account closed"})
        gateway = HttpGateway(platform.url, SecretStr(SECRET), sleep=sleep_not, clock=harness.clock)
        assert await PayoutWorker(harness.deps, gateway, "w1").run_once() == 1
    assert await status_of(harness, case_no) is CaseStatus.REFUND_PENDING
    refused = [r for r in await outbox(harness) if "payout_refused" in str(r.payload)]
    assert [r.chat_id for r in refused] == [STAFF_CHAT]
    assert "buyer account closed" in str(refused[0].payload)


async def test_with_the_manual_gateway_nothing_is_sent_and_staff_confirm(
    harness: BotHarness,
) -> None:
    case_no = await approved_case(harness)
    assert await PayoutWorker(harness.deps, ManualGateway(), "w1").run_once() == 1
    assert await status_of(harness, case_no) is CaseStatus.REFUND_PENDING
    await act(harness, case_no, Action.CONFIRM_REFUND, AGENT)
    assert await status_of(harness, case_no) is CaseStatus.REFUNDED


async def test_a_process_taken_over_asks_the_platform_for_no_payout(harness: BotHarness) -> None:
    case_no = await approved_case(harness)
    harness.deps.liveness.taken_over()  # another process took this one for dead (bot/heartbeat.py)
    async with FakePlatform(SECRET, harness.clock, pays_at_once=True) as platform:
        gateway = HttpGateway(platform.url, SecretStr(SECRET), sleep=sleep_not, clock=harness.clock)
        assert await PayoutWorker(harness.deps, gateway, "w1").run_once() == 1
    assert platform.verified == []
    assert await status_of(harness, case_no) is CaseStatus.REFUND_PENDING
