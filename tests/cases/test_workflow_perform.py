"""`perform`: who is acting, the chained event, the saved case, the replaced jobs, the notifier."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import timedelta

import pytest

from cases.audit import verify_chain
from cases.deadlines import DEADLINE_JOB, REMINDER_JOB
from cases.lifecycle import Action, Refusal, TransitionRefused
from cases.model import ActorKind, CaseStatus, DeadlineKind, Merchant
from cases.workflow import CaseNotFound, perform
from tests.fakes.lifecycle import (
    ADMIN,
    AGENT,
    ARBITRATOR,
    BUYER,
    CALENDAR,
    MERCHANT_USER,
    NOW,
    OTHER_MERCHANT_USER,
    STRANGER,
    World,
)
from tests.fakes.uow import FakeUnitOfWork

S = CaseStatus


@pytest.fixture
async def world() -> World:
    world = World()
    await world.file()
    return world


async def refusal(world: World, action: Action, user_id: int | None, **kwargs: object) -> Refusal:
    with pytest.raises(TransitionRefused) as refused:
        await world.act(action, user_id, **kwargs)
    return refused.value.refusal


async def test_filing_records_the_merchant_the_order_amount_and_the_review_deadline(
    world: World,
) -> None:
    case = world.case

    assert (case.merchant_code, case.order_amount) == ("M01", 3000)
    assert case.deadline_kind is DeadlineKind.REVIEW
    assert case.next_deadline_at == case.review_due_at == NOW.replace(day=2, month=12, hour=0)
    prefix = f"case:{world.case_no}:1"
    assert [(job.kind, job.key) for job in world.case_jobs()] == [
        (REMINDER_JOB, f"{prefix}:remind:24"),
        (REMINDER_JOB, f"{prefix}:remind:2"),
        (DEADLINE_JOB, f"{prefix}:deadline"),
    ]


async def test_a_long_story_keeps_the_hash_chain_intact(world: World) -> None:
    world.store.staff[4001] = "agent"
    steps = [
        (Action.TAKE, AGENT, {}),
        (Action.NOTE, AGENT, {"note": "买家历史良好"}),
        (Action.REQUEST_EVIDENCE, AGENT, {"note": "请补充付款截图"}),
        (Action.SUPPLY_EVIDENCE, BUYER, {}),
        (Action.ASSIGN, AGENT, {"assignee": 4001}),
        (Action.SEND_TO_MERCHANT, 4001, {}),
        (Action.MERCHANT_OFFER, MERCHANT_USER, {"amount": 1500}),
        (Action.DECLINE_OFFER, BUYER, {}),
        (Action.ESCALATE, BUYER, {}),
        (Action.RULE_FOR_BUYER, ARBITRATOR, {"amount": 2500}),
        (Action.CONFIRM_REFUND, None, {}),
    ]
    for action, user_id, kwargs in steps:
        world.clock.advance(timedelta(hours=3))
        await world.act(action, user_id, **kwargs)

    events = world.store.events[world.case_no]
    assert verify_chain(events) is None
    assert [event.action for event in events] == ["submit", *(step[0].value for step in steps)]
    assert world.case.status is S.REFUNDED
    assert (world.case.approved_amount, events[-1].amount) == (2500, 2500)
    assert events[-1].actor_kind is ActorKind.SYSTEM
    assert world.case_jobs() == []
    assert len(world.notifier.outcomes) == len(steps)
    assert [row.key for row in world.store.outbox][-1] == f"{world.case_no}:{len(events)}"


async def test_each_outcome_carries_the_chained_event_and_both_cases(world: World) -> None:
    before = world.case

    outcome = await world.act(Action.TAKE, AGENT)

    assert outcome.before == before
    assert outcome.after == world.case
    assert outcome.event == world.store.events[world.case_no][-1]
    assert (outcome.event.seq, outcome.action, outcome.status_changed) == (2, Action.TAKE, True)
    assert world.notifier.outcomes == [outcome]


async def test_a_refused_action_writes_nothing(world: World) -> None:
    store = world.store
    snapshot = copy.deepcopy((store.cases, store.events, store.jobs, store.outbox))

    async with FakeUnitOfWork(store) as uow:
        with pytest.raises(TransitionRefused) as refused:
            await perform(uow, world.clock, world.policy, CALENDAR, world.notifier,
                          world.case_no, Action.MERCHANT_ACCEPT, MERCHANT_USER)
        assert refused.value.status is S.SUBMITTED
        # Nothing was written even inside the transaction the caller could still commit.
        await uow.commit()

    assert (store.cases, store.events, store.jobs, store.outbox) == snapshot
    assert world.notifier.outcomes == []


@pytest.mark.parametrize(
    ("action", "user_id", "kwargs"),
    [
        (Action.TAKE, STRANGER, {}),
        (Action.TAKE, BUYER, {}),
        (Action.TAKE, MERCHANT_USER, {}),
        (Action.WITHDRAW, STRANGER, {}),
        (Action.WITHDRAW, AGENT, {}),
        (Action.CLOSE, AGENT, {"note": "重复投诉"}),
        (Action.REJECT, None, {"note": "系统不可驳回"}),
    ],
)
async def test_people_the_rule_does_not_name_are_refused(
    world: World, action: Action, user_id: int | None, kwargs: dict[str, object]
) -> None:
    assert await refusal(world, action, user_id, **kwargs) is Refusal.NOT_ALLOWED_FOR_ROLE


async def test_only_the_merchant_of_the_order_answers_for_it(world: World) -> None:
    await world.act(Action.SEND_TO_MERCHANT, AGENT)

    assert await refusal(world, Action.MERCHANT_ACCEPT, OTHER_MERCHANT_USER) is (
        Refusal.NOT_ALLOWED_FOR_ROLE
    )
    outcome = await world.act(Action.MERCHANT_ACCEPT, MERCHANT_USER)
    assert (outcome.event.actor_kind, outcome.event.actor_id) == (ActorKind.MERCHANT, MERCHANT_USER)


async def test_an_admin_who_also_bought_the_order_acts_as_buyer_only_where_buyers_may(
    world: World,
) -> None:
    world.store.staff[BUYER] = "admin"

    taken = await world.act(Action.TAKE, BUYER)
    withdrawn = await world.act(Action.WITHDRAW, BUYER)

    assert taken.event.actor_kind is ActorKind.ADMIN
    assert withdrawn.event.actor_kind is ActorKind.BUYER


async def test_an_unknown_case_number_is_not_found(world: World) -> None:
    async with FakeUnitOfWork(world.store) as uow:
        with pytest.raises(CaseNotFound):
            await perform(uow, world.clock, world.policy, CALENDAR, world.notifier,
                          "TS20261126-ZZZZZ", Action.TAKE, AGENT)


async def test_assigning_to_someone_who_is_not_staff_is_refused(world: World) -> None:
    assert await refusal(world, Action.ASSIGN, ADMIN, assignee=STRANGER) is (
        Refusal.ASSIGNEE_NOT_STAFF
    )
    outcome = await world.act(Action.ASSIGN, ADMIN, assignee=ARBITRATOR)
    assert world.case.assignee_id == ARBITRATOR
    assert outcome.event.extra == {"assignee": str(ARBITRATOR)}


async def test_a_transition_replaces_the_pending_jobs_with_the_next_deadlines(
    world: World,
) -> None:
    old = {job.key for job in world.case_jobs()}

    outcome = await world.act(Action.SEND_TO_MERCHANT, AGENT)

    cancelled = [job for job in world.store.jobs if job.key in old]
    assert [job.done_at for job in cancelled] == [world.clock.now()] * 3
    seq = outcome.event.seq
    assert [job.key for job in world.case_jobs()] == [
        f"case:{world.case_no}:{seq}:remind:24",
        f"case:{world.case_no}:{seq}:remind:2",
        f"case:{world.case_no}:{seq}:deadline",
    ]
    assert world.case_jobs()[-1].due_at == world.case.next_deadline_at
    assert world.case.deadline_kind is DeadlineKind.MERCHANT


async def test_a_note_or_an_assignment_keeps_the_pending_jobs(world: World) -> None:
    jobs = world.case_jobs()

    await world.act(Action.NOTE, AGENT, note="等待商家")
    await world.act(Action.ASSIGN, AGENT, assignee=ARBITRATOR)

    assert world.case_jobs() == jobs


async def test_a_final_status_cancels_every_pending_job(world: World) -> None:
    await world.act(Action.WITHDRAW, BUYER)

    assert world.case_jobs() == []
    assert (world.case.next_deadline_at, world.case.deadline_kind) == (None, None)


async def test_the_notifiers_messages_roll_back_with_the_change(world: World) -> None:
    before = world.case

    async with FakeUnitOfWork(world.store) as uow:
        await perform(uow, world.clock, world.policy, CALENDAR, world.notifier,
                      world.case_no, Action.TAKE, AGENT)
        assert len(uow.store.outbox) == 0  # the store itself is untouched until commit
    # Left without commit: rolled back.

    assert world.store.outbox == []
    assert world.case == before
    assert len(world.store.events[world.case_no]) == 1


async def test_escalating_a_rejected_case_is_refused_once_the_buyer_filed_again(
    world: World,
) -> None:
    await world.act(Action.REJECT, AGENT, note="证据不足")
    await world.file()  # a second complaint for the same order, now that the first is decided
    second = world.case_no
    world.case_no = next(no for no in world.store.cases if no != second)

    assert await refusal(world, Action.ESCALATE, BUYER) is Refusal.ANOTHER_CASE_OPEN
    world.store.cases[second] = replace(world.store.cases[second], status=S.WITHDRAWN)
    assert (await world.act(Action.ESCALATE, BUYER)).after.status is S.IN_ARBITRATION


async def test_merchants_bound_later_are_recognised(world: World) -> None:
    world.store.merchants["M01"] = Merchant("M01", "星辰卡铺", 2999)
    await world.act(Action.SEND_TO_MERCHANT, AGENT)

    assert await refusal(world, Action.MERCHANT_ACCEPT, MERCHANT_USER) is (
        Refusal.NOT_ALLOWED_FOR_ROLE
    )
    assert (await world.act(Action.MERCHANT_ACCEPT, 2999)).after.status is S.REFUND_PENDING
