"""The instant refund: the rule at submit, its record in the chain, and the merchant's contest."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from cases.actions import Action
from cases.audit import verify_chain
from cases.calendar import WorkingCalendar
from cases.clock import ManualClock
from cases.filing import Submission, submit_complaint
from cases.instant import DECLINED
from cases.instant_rule import Standing, judge
from cases.lifecycle import Refusal, TransitionRefused
from cases.model import (
    Case,
    CaseStatus,
    Merchant,
    Order,
    OrderStatus,
    Reason,
    RefundKind,
    RefundMethod,
)
from cases.policy import Policy
from cases.refunds import PAYOUT_JOB
from cases.workflow import perform
from tests.fakes.chat import NOW, SHANGHAI, make_order, photo
from tests.fakes.uow import FakeStore, FakeUnitOfWork

CALENDAR = WorkingCalendar(SHANGHAI)
BUYER, MERCHANT_USER, AGENT = 1001, 2001, 3001
ON = Policy(instant_refund=True)
# A top-up the platform never delivered, by an account that has bought here for two months.
UNDELIVERED = make_order(status=OrderStatus.PAID, delivered_at=None)
OLD_ORDER = make_order("A0001", paid_at=NOW - timedelta(days=60))
GOOD = Standing(rejected_recently=0, open_others=0, first_paid_at=NOW - timedelta(days=60))


def filed(order: Order = UNDELIVERED, reason: Reason = Reason.NOT_DELIVERED) -> Case:
    return Case(
        case_no="TS20261125-AAAAA",
        order_no=order.order_no,
        buyer_id=BUYER,
        status=CaseStatus.SUBMITTED,
        reason=reason,
        description="没有到账",
        refund_amount=3000,
        refund_method=RefundMethod.ORIGINAL,
        currency="CNY",
        created_at=NOW,
        updated_at=NOW,
        review_due_at=None,
        order_amount=order.amount,
    )


def test_a_small_top_up_never_delivered_by_a_buyer_in_good_standing_is_refunded_at_once() -> None:
    verdict = judge(filed(), UNDELIVERED, GOOD, NOW, ON)

    assert verdict.approved
    assert verdict.basis == "not_delivered"
    assert verdict.extra()["rule"] == "instant_refund"
    assert verdict.extra()["delivered_at"] == ""
    assert verdict.extra()["amount"] == "3000"


def test_a_card_code_used_before_the_purchase_is_clear_cut_and_one_used_after_is_not() -> None:
    used_before = replace(make_order(), code_redeemed_at=make_order().paid_at - timedelta(hours=1))
    used_after = replace(make_order(), code_redeemed_at=make_order().paid_at + timedelta(hours=1))
    case = filed(used_before, Reason.CARD_INVALID)

    assert judge(case, used_before, GOOD, NOW, ON).basis == "used_before_purchase"
    assert judge(case, used_after, GOOD, NOW, ON).failed == ("basis",)


@pytest.mark.parametrize(
    ("change", "failed"),
    [
        ({"order": make_order()}, ("basis",)),  # delivered: the data backs nothing
        ({"limit": 3000}, ("amount",)),  # the refund must be below the limit
        ({"standing": replace(GOOD, rejected_recently=1)}, ("rejected",)),
        ({"standing": replace(GOOD, open_others=1)}, ("open_cases",)),
        ({"standing": replace(GOOD, first_paid_at=NOW - timedelta(days=3))}, ("account_age",)),
        ({"standing": replace(GOOD, first_paid_at=None)}, ("account_age",)),
    ],
)
def test_each_condition_alone_turns_the_instant_refund_down(
    change: dict[str, object], failed: tuple[str, ...]
) -> None:
    order = change.get("order", UNDELIVERED)
    policy = replace(ON, instant_refund_limit=change.get("limit", ON.instant_refund_limit))
    standing = change.get("standing", GOOD)

    verdict = judge(filed(), order, standing, NOW, policy)  # type: ignore[arg-type]

    assert not verdict.approved
    assert verdict.failed == failed


def world(*orders: Order) -> FakeStore:
    store = FakeStore()
    for order in orders:
        store.orders[order.order_no] = order
    store.staff[AGENT] = "agent"
    return store


async def submit(store: FakeStore, clock: ManualClock, policy: Policy = ON) -> str:
    async with FakeUnitOfWork(store) as uow:
        result = await submit_complaint(
            uow,
            clock,
            policy,
            CALENDAR,
            BUYER,
            Submission(
                "A1001",
                Reason.NOT_DELIVERED,
                "充值一直没有到账，客服不回复。",
                RefundKind.FULL,
                RefundMethod.ORIGINAL,
                evidence=(photo(1),),
            ),
        )
        await uow.commit()
    assert result.instant == (store.cases[result.case_no].status is CaseStatus.REFUND_PENDING)
    return result.case_no


async def test_submit_refunds_at_once_schedules_the_payout_and_chains_the_rule_and_inputs() -> None:
    store, clock = world(UNDELIVERED, OLD_ORDER), ManualClock(NOW)

    case_no = await submit(store, clock)

    case = store.cases[case_no]
    assert (case.status, case.approved_amount) == (CaseStatus.REFUND_PENDING, 3000)
    events = store.events[case_no]
    assert [event.action for event in events] == ["submit", "instant_refund"]
    decided = events[-1]
    assert decided.extra["rule"] == "instant_refund"
    assert decided.extra["basis"] == "not_delivered"
    assert decided.extra["account_first_paid_at"] == OLD_ORDER.paid_at.isoformat()
    assert decided.amount == 3000
    assert verify_chain(events) is None
    assert [job.kind for job in store.pending_jobs() if job.kind == PAYOUT_JOB] == [PAYOUT_JOB]


async def test_a_buyer_the_rule_turns_down_is_reviewed_as_usual_and_the_no_is_recorded() -> None:
    store, clock = world(UNDELIVERED), ManualClock(NOW)  # an account first seen with this order

    case_no = await submit(store, clock)

    assert store.cases[case_no].status is CaseStatus.SUBMITTED
    declined = store.events[case_no][-1]
    assert (declined.action, declined.extra["failed"]) == (DECLINED, "account_age")
    assert verify_chain(store.events[case_no]) is None


async def test_the_instant_refund_is_off_unless_the_policy_switches_it_on() -> None:
    store, clock = world(UNDELIVERED, OLD_ORDER), ManualClock(NOW)

    case_no = await submit(store, clock, Policy())

    assert store.cases[case_no].status is CaseStatus.SUBMITTED
    assert [event.action for event in store.events[case_no]] == ["submit"]


async def move(
    store: FakeStore,
    clock: ManualClock,
    case_no: str,
    action: Action,
    user: int | None,
    **kwargs: object,
) -> None:
    async def silent(uow: object, outcome: object) -> None:
        return None

    async with FakeUnitOfWork(store) as uow:
        await perform(
            uow,
            clock,
            ON,
            CALENDAR,
            silent,
            case_no,
            action,
            user,  # type: ignore[arg-type]
            **kwargs,
        )  # type: ignore[arg-type]
        await uow.commit()


async def paid_instant_case() -> tuple[FakeStore, ManualClock, str]:
    store, clock = world(UNDELIVERED, OLD_ORDER), ManualClock(NOW)
    store.merchants["M01"] = Merchant("M01", "星辰卡铺", MERCHANT_USER)
    case_no = await submit(store, clock)
    clock.advance(timedelta(hours=1))
    await move(store, clock, case_no, Action.CONFIRM_REFUND, AGENT)
    return store, clock, case_no


async def test_a_contest_reopens_the_review_and_records_the_claw_back_against_the_platform() -> (
    None
):
    store, clock, case_no = await paid_instant_case()

    await move(
        store, clock, case_no, Action.MERCHANT_CONTEST, MERCHANT_USER, note="卡密已于付款后正常发放"
    )

    case = store.cases[case_no]
    assert (case.status, case.approved_amount) == (CaseStatus.IN_REVIEW, 3000)
    contest = store.events[case_no][-1]
    assert contest.amount == 3000
    assert contest.extra["clawback"] == "claimed"
    assert contest.extra["clawback_amount"] == "3000"
    assert (contest.extra["clawback_owed_by"], contest.extra["clawback_owed_to"]) == (
        "platform",
        "merchant",
    )
    assert contest.extra["contest_window_end"]


async def test_while_contested_only_the_contest_moves_decide_and_the_buyer_keeps_the_money() -> (
    None
):
    store, clock, case_no = await paid_instant_case()
    await move(store, clock, case_no, Action.MERCHANT_CONTEST, MERCHANT_USER, note="已正常发放卡密")

    for action, kwargs in (
        (Action.APPROVE_REFUND, {"amount": 3000}),
        (Action.REJECT, {"note": "证据不足"}),
    ):
        with pytest.raises(TransitionRefused) as refused:
            await move(store, clock, case_no, action, AGENT, **kwargs)
        assert refused.value.refusal is Refusal.CONTESTED
    await move(store, clock, case_no, Action.UPHOLD_CONTEST, AGENT, note="商家提供了发放记录")

    case = store.cases[case_no]
    assert (case.status, case.approved_amount) == (CaseStatus.REJECTED, 3000)
    assert store.events[case_no][-1].extra["clawback"] == "owed"
    # The one payout is still the instant refund's: deciding the contest orders no other.
    assert len([job for job in store.jobs if job.kind == PAYOUT_JOB]) == 1
    with pytest.raises(TransitionRefused) as refused:
        await move(store, clock, case_no, Action.ESCALATE, BUYER)
    assert refused.value.refusal is Refusal.CONTESTED


async def test_a_dismissed_contest_restores_the_refund_and_a_second_contest_is_refused() -> None:
    store, clock, case_no = await paid_instant_case()
    await move(store, clock, case_no, Action.MERCHANT_CONTEST, MERCHANT_USER, note="已正常发放卡密")

    await move(store, clock, case_no, Action.DISMISS_CONTEST, AGENT)

    assert store.cases[case_no].status is CaseStatus.REFUNDED
    assert store.events[case_no][-1].extra["clawback"] == "cancelled"
    with pytest.raises(TransitionRefused) as refused:
        await move(
            store, clock, case_no, Action.MERCHANT_CONTEST, MERCHANT_USER, note="再次申诉一下"
        )
    assert refused.value.refusal is Refusal.ALREADY_CONTESTED


async def test_the_contest_window_is_counted_in_working_days_from_the_payment() -> None:
    store, clock, case_no = await paid_instant_case()  # paid Thursday 26 Nov 2026

    clock.advance(timedelta(days=6))  # Wednesday 2 Dec: the third working day has passed

    with pytest.raises(TransitionRefused) as refused:
        await move(
            store, clock, case_no, Action.MERCHANT_CONTEST, MERCHANT_USER, note="已正常发放卡密"
        )
    assert refused.value.refusal is Refusal.CONTEST_WINDOW_CLOSED


async def test_a_refund_staff_approved_cannot_be_contested() -> None:
    store, clock = world(make_order(), OLD_ORDER), ManualClock(NOW)
    store.merchants["M01"] = Merchant("M01", "星辰卡铺", MERCHANT_USER)
    case_no = await submit(store, clock)
    await move(store, clock, case_no, Action.APPROVE_REFUND, AGENT, amount=3000)
    await move(store, clock, case_no, Action.CONFIRM_REFUND, AGENT)

    with pytest.raises(TransitionRefused) as refused:
        await move(
            store, clock, case_no, Action.MERCHANT_CONTEST, MERCHANT_USER, note="已正常发放卡密"
        )
    assert refused.value.refusal is Refusal.NOT_INSTANT
