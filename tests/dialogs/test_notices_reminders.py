"""Reminders reach the party whose move it is; a missed staff deadline alerts staff once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cases.deadlines import DEADLINE_JOB, reminder_label
from cases.lifecycle import Action
from cases.model import Merchant
from cases.policy import Policy
from cases.workflow import Fired, fire_deadline_job
from tests.dialogs.notices_support import NoticeWorld, Sent, render_everywhere
from tests.fakes.lifecycle import CALENDAR, NOW
from tests.fakes.uow import FakeUnitOfWork

A = Action
HOUR = timedelta(hours=1)


async def run_to_deadline(world: NoticeWorld, *, past: bool = False) -> list[Sent]:
    """Runs the deadline jobs up to just before the current deadline (or just after it)."""
    deadline = world.case.next_deadline_at
    assert deadline is not None
    world.mark()
    await world.run_jobs_until(deadline + HOUR if past else deadline - timedelta(minutes=1))
    return world.new_sent()


async def test_staff_are_reminded_of_the_review_and_alerted_once_when_it_is_missed() -> None:
    world = NoticeWorld()
    await world.file()

    due = world.case.next_deadline_at
    assert due is not None

    sent = await run_to_deadline(world, past=True)

    review = [
        ["st:take:", "st:card:", "st:ev:"],
        ["st:req:", "st:mer:"],
        ["st:appf:", "st:appp:", "st:rej:"],
    ]
    case_no, at = world.case_no, due.isoformat()
    assert [(s.audience, s.key, s.outbox_key, s.button_prefixes) for s in sent] == [
        ("staff", "notice.remind.review", f"remind:{case_no}:{at}:24", review),
        ("staff", "notice.remind.review", f"remind:{case_no}:{at}:2", review),
        ("staff", "notice.remind.overdue", f"overdue:{case_no}:{at}", review),
    ]
    render_everywhere(sent)


async def test_a_retried_overdue_job_queues_no_second_alert() -> None:
    world = NoticeWorld()
    await world.file()
    await run_to_deadline(world, past=True)
    job = next(job for job in world.store.jobs if job.kind == DEADLINE_JOB)
    queued = len(world.store.outbox)

    for _ in range(2):
        async with FakeUnitOfWork(world.store) as uow:
            fired = await fire_deadline_job(
                uow, world.clock, world.policy, CALENDAR, world.notices, world.notices.remind,
                job.kind, job.payload,
            )
            await uow.commit()
        assert fired is Fired.ALERTED

    assert len(world.store.outbox) == queued


async def test_a_repeated_reminder_queues_once() -> None:
    world = NoticeWorld()
    await world.file()
    case = world.case
    assert case.deadline_kind is not None
    assert case.next_deadline_at is not None
    world.clock.set(case.next_deadline_at - 24 * HOUR)

    for _ in range(3):
        async with FakeUnitOfWork(world.store) as uow:
            await world.notices.remind(uow, case, case.deadline_kind, case.next_deadline_at, False)
            await uow.commit()

    keys = [item.outbox_key for item in world.new_sent()]
    assert keys == [
        "notice:" + world.case_no + ":1:staff",
        f"remind:{world.case_no}:{case.next_deadline_at.isoformat()}:24",
    ]


@pytest.mark.parametrize(
    ("hours_before", "label"),
    [(30, "30"), (24, "24"), (23.5, "24"), (2, "2"), (0.5, "2")],
)
def test_a_reminder_is_labelled_by_the_latest_offset_that_has_come(
    hours_before: float, label: str
) -> None:
    deadline = NOW + timedelta(days=3)

    assert reminder_label(deadline, deadline - hours_before * HOUR, Policy()) == label


async def test_the_buyer_is_reminded_to_supply_evidence() -> None:
    world = NoticeWorld()
    await world.file()
    await world.step(A.TAKE, "agent")
    await world.step(A.REQUEST_EVIDENCE, "agent", note="请上传付款截图")

    sent = await run_to_deadline(world)

    assert [(s.audience, s.key, s.button_prefixes) for s in sent] == [
        ("buyer", "notice.remind.evidence", [["b:ev:"], ["b:wd:"]]),
    ] * 2
    render_everywhere(sent)


async def test_the_merchant_is_reminded_to_answer_with_the_answer_buttons() -> None:
    world = NoticeWorld()
    await world.file()
    await world.step(A.TAKE, "agent")
    await world.step(A.SEND_TO_MERCHANT, "agent")

    sent = await run_to_deadline(world)

    assert [(s.audience, s.key, s.button_prefixes) for s in sent] == [
        ("merchant", "notice.remind.merchant", [["mc:acc:"], ["mc:off:", "mc:rej:"]]),
    ] * 2
    render_everywhere(sent)


async def test_an_unbound_merchant_gets_no_reminder_and_nothing_breaks() -> None:
    world = NoticeWorld()
    world.store.merchants["M01"] = Merchant("M01", "星辰卡铺", None)
    await world.file()
    await world.step(A.TAKE, "agent")
    await world.step(A.SEND_TO_MERCHANT, "agent")

    assert await run_to_deadline(world) == []


async def test_an_open_offer_reminds_the_buyer_to_answer_it() -> None:
    world = NoticeWorld()
    await world.file()
    await world.step(A.TAKE, "agent")
    await world.step(A.SEND_TO_MERCHANT, "agent")
    await world.step(A.MERCHANT_OFFER, "merchant", amount=2000)

    sent = await run_to_deadline(world)

    assert [(s.audience, s.key, s.button_prefixes) for s in sent] == [
        ("buyer", "notice.remind.offer", [["b:acc:", "b:dec:"], ["b:wd:"]]),
    ] * 2
    assert "20.00 元" in sent[0].render("zh_CN")


async def test_a_refused_buyer_is_reminded_that_the_escalation_window_closes() -> None:
    world = NoticeWorld()
    await world.file()
    await world.step(A.TAKE, "agent")
    await world.step(A.SEND_TO_MERCHANT, "agent")
    await world.step(A.MERCHANT_REJECT, "merchant", note="卡密已发放")

    sent = await run_to_deadline(world)

    assert [(s.audience, s.key, s.button_prefixes) for s in sent] == [
        ("buyer", "notice.remind.escalation", [["b:esc:"], ["b:wd:"]]),
    ] * 2


async def test_arbitrators_are_reminded_and_alerted_with_the_ruling_buttons() -> None:
    world = NoticeWorld()
    await world.file()
    await world.step(A.TAKE, "agent")
    await world.step(A.REJECT, "agent", note="证据不足")
    await world.step(A.ESCALATE, "buyer")

    sent = await run_to_deadline(world, past=True)

    ruling = [["st:card:", "st:ev:"], ["st:rb:", "st:rm:"], ["st:note:"]]
    assert [(s.key, s.button_prefixes) for s in sent] == [
        ("notice.remind.arbitration", ruling),
        ("notice.remind.arbitration", ruling),
        ("notice.remind.overdue", ruling),
    ]
    assert {s.audience for s in sent} == {"staff"}
    assert "仲裁期限" in sent[-1].render("zh_CN")


async def test_a_refund_not_paid_in_time_alerts_staff_with_the_payout_button() -> None:
    world = NoticeWorld()
    await world.file()
    await world.step(A.TAKE, "agent")
    await world.step(A.APPROVE_REFUND, "agent", amount=3000)

    sent = await run_to_deadline(world, past=True)

    assert [(s.key, s.button_prefixes) for s in sent] == [
        ("notice.remind.refund", [["st:paid:", "st:card:"]]),
        ("notice.remind.refund", [["st:paid:", "st:card:"]]),
        ("notice.remind.overdue", [["st:paid:", "st:card:"]]),
    ]
    render_everywhere(sent)


async def test_a_review_reminder_for_a_taken_case_offers_no_take_button() -> None:
    world = NoticeWorld()
    await world.file()
    await world.step(A.TAKE, "agent")

    sent = await run_to_deadline(world)

    assert [s.button_prefixes[0] for s in sent] == [["st:card:", "st:ev:"]] * 2
