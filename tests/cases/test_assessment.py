"""A third-party assessment: its own wait and deadline, and the case back where it came from."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cases.lifecycle import Action, Refusal, TransitionRefused
from cases.model import CaseStatus, DeadlineKind
from cases.policy import Policy
from tests.fakes.lifecycle import AGENT, ARBITRATOR, BUYER, CALENDAR, MERCHANT_USER, World

A = Action


async def in_review(policy: Policy | None = None) -> World:
    world = World(policy)
    await world.file()
    await world.act(A.TAKE, AGENT)
    return world


async def test_the_assessment_has_its_own_deadline_in_working_days() -> None:
    world = await in_review(Policy(assessment_working_days=4))
    sent = await world.act(A.SEND_TO_ASSESSMENT, AGENT, note="送检测机构")
    case = world.case
    assert case.status is CaseStatus.AWAITING_ASSESSMENT
    assert case.deadline_kind is DeadlineKind.ASSESSMENT
    assert case.next_deadline_at == CALENDAR.add_working_days(sent.event.at, 4)
    assert {job.payload["deadline_kind"] for job in world.case_jobs()} == {"assessment"}


async def test_the_note_is_required_and_only_staff_send_a_case() -> None:
    world = await in_review()
    with pytest.raises(TransitionRefused) as empty:
        await world.act(A.SEND_TO_ASSESSMENT, AGENT)
    assert empty.value.refusal is Refusal.NOTE_REQUIRED
    with pytest.raises(TransitionRefused) as buyer:
        await world.act(A.SEND_TO_ASSESSMENT, BUYER, note="我要鉴定")
    assert buyer.value.refusal is Refusal.NOT_ALLOWED_FOR_ROLE


async def test_a_case_sent_from_review_resumes_review_with_the_time_it_had_left() -> None:
    world = await in_review()
    left = world.case.next_deadline_at
    assert left is not None
    world.clock.advance(timedelta(hours=1))
    await world.act(A.SEND_TO_ASSESSMENT, AGENT, note="送检测机构")
    paused = world.case.paused_review_seconds
    assert paused is not None
    assert paused > 0
    await world.act(A.RECORD_ASSESSMENT, AGENT, note="截图属实")
    case = world.case
    assert (case.status, case.deadline_kind) == (CaseStatus.IN_REVIEW, DeadlineKind.REVIEW)
    assert case.paused_review_seconds is None
    assert case.next_deadline_at is not None
    assert case.next_deadline_at >= left


async def test_a_case_sent_from_arbitration_goes_back_to_arbitration() -> None:
    world = await in_review()
    await world.act(A.SEND_TO_MERCHANT, AGENT)
    await world.act(A.MERCHANT_REJECT, MERCHANT_USER, note="已发货")
    await world.act(A.ESCALATE, BUYER)
    await world.act(A.SEND_TO_ASSESSMENT, ARBITRATOR, note="请游戏运营方核实")
    assert world.case.paused_review_seconds is None
    recorded = await world.act(A.RECORD_ASSESSMENT, ARBITRATOR, note="未到账属实")
    case = world.case
    assert case.status is CaseStatus.IN_ARBITRATION
    assert case.deadline_kind is DeadlineKind.ARBITRATION
    assert case.next_deadline_at == CALENDAR.add_working_days(recorded.event.at, 5)


async def test_the_buyer_may_withdraw_while_the_assessment_runs() -> None:
    world = await in_review()
    await world.act(A.SEND_TO_ASSESSMENT, AGENT, note="送检测机构")
    await world.act(A.WITHDRAW, BUYER)
    assert world.case.status is CaseStatus.WITHDRAWN
    assert world.case_jobs() == []
