"""Deadline jobs as the worker runs them: reminders, timeouts, staff alerts, obsolete jobs."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from cases.deadlines import DEADLINE_JOB, REMINDER_JOB
from cases.lifecycle import Action, Refusal, TransitionRefused
from cases.model import ActorKind, CaseStatus, DeadlineKind
from cases.policy import MerchantTimeout, Policy
from cases.workflow import Fired, fire_deadline_job
from tests.fakes.lifecycle import (
    AGENT,
    BUYER,
    CALENDAR,
    MERCHANT_USER,
    SHANGHAI,
    World,
)
from tests.fakes.uow import FakeUnitOfWork

S = CaseStatus


def shanghai(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


async def world_at(start: datetime, policy: Policy | None = None) -> World:
    world = World(policy, start)
    await world.file()
    return world


async def test_merchant_asked_before_national_day_is_reminded_then_times_out_after_it() -> None:
    world = await world_at(shanghai(9, 29, 10))
    world.clock.set(shanghai(9, 30, 16))
    await world.act(Action.SEND_TO_MERCHANT, AGENT)

    fired = await world.run_jobs_until(shanghai(10, 10, 1))

    assert fired == [Fired.REMINDED, Fired.REMINDED, Fired.PERFORMED]
    assert [(call.kind, call.at, call.overdue) for call in world.reminder.calls] == [
        # In the reminder hours: 21:00 on 8 October (the first working day) and on 9 October.
        (DeadlineKind.MERCHANT, shanghai(10, 8, 21), False),
        (DeadlineKind.MERCHANT, shanghai(10, 9, 21), False),
    ]
    assert world.case.status is S.REFUND_PENDING
    event = world.store.events[world.case_no][-1]
    assert (event.action, event.actor_kind, event.at) == (
        "merchant_timeout", ActorKind.SYSTEM, shanghai(10, 10),
    )


async def test_merchant_silence_until_the_deadline_refunds_the_buyer() -> None:
    world = await world_at(shanghai(11, 26, 10))
    await world.act(Action.SEND_TO_MERCHANT, AGENT)

    await world.run_jobs_until(shanghai(12, 1))

    assert world.case.status is S.REFUND_PENDING
    assert world.case.approved_amount == world.case.refund_amount == 3000
    assert world.case.deadline_kind is DeadlineKind.REFUND


async def test_merchant_silence_under_the_escalate_policy_goes_to_arbitration() -> None:
    world = await world_at(shanghai(11, 26, 10), Policy(merchant_timeout=MerchantTimeout.ESCALATE))
    await world.act(Action.SEND_TO_MERCHANT, AGENT)

    await world.run_jobs_until(shanghai(12, 1))

    assert world.case.status is S.IN_ARBITRATION
    assert world.case.approved_amount is None
    assert world.case.deadline_kind is DeadlineKind.ARBITRATION
    assert world.case_jobs()[-1].key.endswith(":deadline")


async def test_a_deadline_job_for_a_deadline_the_case_has_left_does_nothing() -> None:
    world = await world_at(shanghai(11, 26, 10))
    await world.act(Action.SEND_TO_MERCHANT, AGENT)
    [*_, stale] = world.case_jobs()
    await world.act(Action.MERCHANT_OFFER, MERCHANT_USER, amount=1000)
    world.clock.set(stale.due_at)

    async with FakeUnitOfWork(world.store) as uow:
        fired = await fire_deadline_job(uow, world.clock, world.policy, CALENDAR, world.notifier,
                                        world.reminder, stale.kind, stale.payload)
        await uow.commit()

    assert fired is Fired.OBSOLETE
    assert world.case.status is S.NEGOTIATING
    assert world.reminder.calls == []
    assert [event.action for event in world.store.events[world.case_no]][-1] == "merchant_offer"


async def test_a_reminder_for_a_deadline_the_case_has_left_does_nothing() -> None:
    world = await world_at(shanghai(11, 26, 10))
    [reminder, *_] = world.case_jobs()
    await world.act(Action.TAKE, AGENT)  # same review deadline, but the status moved on
    world.clock.set(reminder.due_at)

    async with FakeUnitOfWork(world.store) as uow:
        fired = await fire_deadline_job(uow, world.clock, world.policy, CALENDAR, world.notifier,
                                        world.reminder, reminder.kind, reminder.payload)

    assert fired is Fired.OBSOLETE
    assert world.reminder.calls == []


async def test_a_job_for_a_case_that_is_gone_does_nothing() -> None:
    world = await world_at(shanghai(11, 26, 10))
    [*_, deadline] = world.case_jobs()
    del world.store.cases[world.case_no]

    async with FakeUnitOfWork(world.store) as uow:
        fired = await fire_deadline_job(uow, world.clock, world.policy, CALENDAR, world.notifier,
                                        world.reminder, deadline.kind, deadline.payload)

    assert fired is Fired.OBSOLETE


async def test_a_missed_review_alerts_staff_exactly_once_and_changes_nothing() -> None:
    world = await world_at(shanghai(11, 26, 10))
    before = world.case

    fired = await world.run_jobs_until(shanghai(12, 10))

    assert fired == [Fired.REMINDED, Fired.REMINDED, Fired.ALERTED]
    assert [(call.kind, call.overdue) for call in world.reminder.calls] == [
        (DeadlineKind.REVIEW, False),
        (DeadlineKind.REVIEW, False),
        (DeadlineKind.REVIEW, True),
    ]
    assert world.case == before
    assert world.case_jobs() == []


async def test_evidence_never_sent_resumes_review_when_its_days_pass() -> None:
    world = await world_at(shanghai(11, 26, 10))
    world.clock.set(shanghai(11, 27, 12))
    await world.act(Action.REQUEST_EVIDENCE, AGENT, note="请补充付款截图")

    fired = await world.run_jobs_until(shanghai(12, 1))

    assert fired == [Fired.REMINDED, Fired.REMINDED, Fired.PERFORMED]
    assert {call.kind for call in world.reminder.calls} == {DeadlineKind.EVIDENCE}
    case = world.case
    assert case.status is S.IN_REVIEW
    # The 60 working hours of review left when evidence was asked for (Friday noon to the end
    # of Tuesday), from the evidence deadline: Tuesday, Wednesday and Thursday to noon. As
    # calendar time (4.5 days) they would have ended on Saturday 5 December.
    assert case.next_deadline_at == case.review_due_at == shanghai(12, 3, 12)
    assert case.paused_review_seconds is None
    assert world.case_jobs()[-1].payload["deadline_kind"] == "review"


async def test_the_escalation_window_closes_a_declined_negotiation() -> None:
    world = await world_at(shanghai(11, 26, 10))
    await world.act(Action.SEND_TO_MERCHANT, AGENT)
    await world.act(Action.MERCHANT_OFFER, MERCHANT_USER, amount=1000)
    world.clock.set(shanghai(11, 27, 9))
    await world.act(Action.DECLINE_OFFER, BUYER)

    fired = await world.run_jobs_until(shanghai(12, 10))

    assert fired == [Fired.REMINDED, Fired.REMINDED, Fired.PERFORMED]
    assert world.case.status is S.CLOSED
    assert world.store.events[world.case_no][-1].at == shanghai(12, 5)
    with pytest.raises(TransitionRefused) as refused:
        await world.act(Action.ESCALATE, BUYER)
    assert refused.value.refusal is Refusal.WRONG_STATUS


async def test_a_rejection_schedules_nothing_and_stays_rejected() -> None:
    world = await world_at(shanghai(11, 26, 10))
    await world.act(Action.REJECT, AGENT, note="证据不足")

    assert world.case_jobs() == []
    world.clock.set(shanghai(12, 4))
    with pytest.raises(TransitionRefused) as refused:
        await world.act(Action.ESCALATE, BUYER)
    assert refused.value.refusal is Refusal.WINDOW_CLOSED
    assert world.case.status is S.REJECTED


async def test_only_case_deadline_jobs_are_accepted() -> None:
    world = await world_at(shanghai(11, 26, 10))

    async with FakeUnitOfWork(world.store) as uow:
        with pytest.raises(ValueError, match="download_evidence"):
            await fire_deadline_job(uow, world.clock, world.policy, CALENDAR, world.notifier,
                                    world.reminder, "download_evidence", {"evidence_id": 1})


def test_job_kinds_are_named_for_the_worker() -> None:
    assert (REMINDER_JOB, DEADLINE_JOB) == ("case_reminder", "case_deadline")
    assert timedelta(hours=24) in Policy().reminder_offsets
