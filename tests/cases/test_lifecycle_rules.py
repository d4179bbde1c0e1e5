"""What `decide` checks beyond the table: amounts, notes, offers, windows, paused review time."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from cases.deadlines import days_from
from cases.lifecycle import Action, Actor, Decision, Refusal, TransitionRefused, decide
from cases.model import ActorKind, Case, CaseStatus, DeadlineKind
from cases.policy import MerchantTimeout, Policy
from tests.fakes.lifecycle import (
    ADMIN,
    AGENT,
    ARBITRATOR,
    BUYER,
    CALENDAR,
    MERCHANT_USER,
    NOW,
    SHANGHAI,
    make_case,
)

S = CaseStatus
AGENT_ACTOR = Actor(ActorKind.AGENT, AGENT)
ARBITRATOR_ACTOR = Actor(ActorKind.ARBITRATOR, ARBITRATOR)
BUYER_ACTOR = Actor(ActorKind.BUYER, BUYER)
MERCHANT_ACTOR = Actor(ActorKind.MERCHANT, MERCHANT_USER)
SYSTEM = Actor(ActorKind.SYSTEM, None)
LATER = NOW + timedelta(hours=1)


def at(day: int, hour: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


def refusal(case: Case, action: Action, actor: Actor, now: datetime = LATER,
            policy: Policy | None = None, **kwargs: object) -> Refusal:
    with pytest.raises(TransitionRefused) as refused:
        decide(case, action, actor, now, policy or Policy(), CALENDAR, **kwargs)
    return refused.value.refusal


def run(case: Case, action: Action, actor: Actor, now: datetime = LATER,
        policy: Policy | None = None, **kwargs: object) -> Decision:
    return decide(case, action, actor, now, policy or Policy(), CALENDAR, **kwargs)


CAPPED = Policy(refund_cap_ratio=Decimal("0.9"))  # 90% of 30.00 = 27.00


@pytest.mark.parametrize(
    ("action", "status", "actor"),
    [
        (Action.APPROVE_REFUND, S.IN_REVIEW, AGENT_ACTOR),
        (Action.RULE_FOR_BUYER, S.IN_ARBITRATION, ARBITRATOR_ACTOR),
    ],
)
def test_an_approved_refund_must_be_positive_and_within_the_cap(
    action: Action, status: CaseStatus, actor: Actor
) -> None:
    case = make_case(status)

    assert refusal(case, action, actor) is Refusal.AMOUNT_REQUIRED
    assert refusal(case, action, actor, amount=0) is Refusal.AMOUNT_NOT_POSITIVE
    assert refusal(case, action, actor, amount=-5) is Refusal.AMOUNT_NOT_POSITIVE
    assert refusal(case, action, actor, policy=CAPPED, amount=2701) is Refusal.AMOUNT_OVER_CAP
    after = run(case, action, actor, policy=CAPPED, amount=2700).after
    assert (after.status, after.approved_amount) == (S.REFUND_PENDING, 2700)


def test_a_merchant_offer_must_be_partial_and_within_the_cap() -> None:
    case = make_case(S.AWAITING_MERCHANT, refund_amount=2800)

    assert refusal(case, Action.MERCHANT_OFFER, MERCHANT_ACTOR) is Refusal.AMOUNT_REQUIRED
    assert refusal(case, Action.MERCHANT_OFFER, MERCHANT_ACTOR, amount=0) is (
        Refusal.AMOUNT_NOT_POSITIVE
    )
    assert refusal(case, Action.MERCHANT_OFFER, MERCHANT_ACTOR, amount=2800) is (
        Refusal.AMOUNT_NOT_BELOW_REQUEST
    )
    assert refusal(case, Action.MERCHANT_OFFER, MERCHANT_ACTOR, policy=CAPPED, amount=2750) is (
        Refusal.AMOUNT_OVER_CAP
    )
    after = run(case, Action.MERCHANT_OFFER, MERCHANT_ACTOR, amount=1500).after
    assert (after.status, after.offer_amount, after.offer_declined) == (S.NEGOTIATING, 1500, False)


def test_an_amount_given_to_an_action_without_one_is_refused() -> None:
    case = make_case(S.IN_REVIEW)

    assert refusal(case, Action.SEND_TO_MERCHANT, AGENT_ACTOR, amount=100) is (
        Refusal.AMOUNT_NOT_EXPECTED
    )


@pytest.mark.parametrize(
    ("action", "status", "actor"),
    [
        (Action.REQUEST_EVIDENCE, S.IN_REVIEW, AGENT_ACTOR),
        (Action.MERCHANT_REJECT, S.AWAITING_MERCHANT, MERCHANT_ACTOR),
        (Action.REJECT, S.SUBMITTED, AGENT_ACTOR),
        (Action.RULE_FOR_MERCHANT, S.IN_ARBITRATION, ARBITRATOR_ACTOR),
        (Action.NOTE, S.REFUNDED, AGENT_ACTOR),
        (Action.CLOSE, S.NEGOTIATING, Actor(ActorKind.ADMIN, ADMIN)),
    ],
)
def test_actions_that_need_a_note_refuse_an_empty_or_blank_one(
    action: Action, status: CaseStatus, actor: Actor
) -> None:
    case = make_case(status)

    assert refusal(case, action, actor) is Refusal.NOTE_REQUIRED
    assert refusal(case, action, actor, note=" \n ") is Refusal.NOTE_REQUIRED
    assert run(case, action, actor, note="  理由  ").event.note == "理由"


def test_the_merchant_accepting_approves_what_the_buyer_asked_for() -> None:
    decision = run(make_case(S.AWAITING_MERCHANT, refund_amount=2500), Action.MERCHANT_ACCEPT,
                   MERCHANT_ACTOR)

    assert (decision.after.status, decision.after.approved_amount) == (S.REFUND_PENDING, 2500)
    assert decision.event.amount == 2500
    assert decision.after.deadline_kind is DeadlineKind.REFUND


def test_a_merchant_rejection_leaves_no_offer_and_opens_the_buyers_window() -> None:
    after = run(make_case(S.AWAITING_MERCHANT), Action.MERCHANT_REJECT, MERCHANT_ACTOR,
                note="卡密已使用").after

    assert (after.status, after.offer_amount, after.offer_declined) == (S.NEGOTIATING, None, True)
    assert after.deadline_kind is DeadlineKind.BUYER_DECISION
    assert after.next_deadline_at == at(4, month=12)  # 7 days from 26 November, end of day


def test_the_buyer_accepting_an_offer_approves_the_offer() -> None:
    case = make_case(S.NEGOTIATING, offer_amount=1200)

    decision = run(case, Action.ACCEPT_OFFER, BUYER_ACTOR)

    assert (decision.after.status, decision.after.approved_amount) == (S.REFUND_PENDING, 1200)
    assert decision.event.amount == 1200


@pytest.mark.parametrize("action", [Action.ACCEPT_OFFER, Action.DECLINE_OFFER])
def test_there_is_no_offer_to_answer_after_a_rejection_or_a_decline(action: Action) -> None:
    rejected = make_case(S.NEGOTIATING, offer_amount=None, offer_declined=True)
    declined = make_case(S.NEGOTIATING, offer_amount=1200, offer_declined=True)

    assert refusal(rejected, action, BUYER_ACTOR) is Refusal.NO_OFFER
    assert refusal(declined, action, BUYER_ACTOR) is Refusal.NO_OFFER


def test_declining_restarts_the_escalation_window_from_the_decline() -> None:
    case = make_case(S.NEGOTIATING, offer_amount=1200)

    after = run(case, Action.DECLINE_OFFER, BUYER_ACTOR, now=at(30, 15)).after

    assert (after.status, after.offer_declined) == (S.NEGOTIATING, True)
    assert after.next_deadline_at == at(8, month=12)


def test_the_buyer_must_decline_an_open_offer_before_escalating() -> None:
    case = make_case(S.NEGOTIATING, offer_amount=1200)

    assert refusal(case, Action.ESCALATE, BUYER_ACTOR) is Refusal.OFFER_NOT_DECLINED


def test_escalating_is_allowed_until_the_window_closes() -> None:
    case = make_case(S.NEGOTIATING, offer_amount=1200, offer_declined=True)
    end = case.next_deadline_at
    assert end is not None

    after = run(case, Action.ESCALATE, BUYER_ACTOR, now=end - timedelta(seconds=1)).after
    assert after.status is S.IN_ARBITRATION
    assert after.deadline_kind is DeadlineKind.ARBITRATION
    assert refusal(case, Action.ESCALATE, BUYER_ACTOR, now=end) is Refusal.WINDOW_CLOSED


def test_a_rejected_case_keeps_its_escalation_window_and_may_be_escalated_within_it() -> None:
    rejected = run(make_case(S.IN_REVIEW), Action.REJECT, AGENT_ACTOR, note="证据不足").after

    assert rejected.status is S.REJECTED
    assert rejected.deadline_kind is DeadlineKind.BUYER_DECISION
    assert rejected.next_deadline_at == days_from(LATER, 7, CALENDAR)
    assert run(rejected, Action.ESCALATE, BUYER_ACTOR, now=at(3, 23, month=12)).after.status is (
        S.IN_ARBITRATION
    )
    assert refusal(rejected, Action.ESCALATE, BUYER_ACTOR, now=at(4, month=12)) is (
        Refusal.WINDOW_CLOSED
    )


def test_a_rejected_case_without_a_stored_window_counts_from_the_rejection() -> None:
    old = make_case(S.REJECTED, next_deadline_at=None, deadline_kind=None, updated_at=NOW)

    assert run(old, Action.ESCALATE, BUYER_ACTOR, now=at(3, 23, month=12)).after.status is (
        S.IN_ARBITRATION
    )
    assert refusal(old, Action.ESCALATE, BUYER_ACTOR, now=at(4, month=12)) is (
        Refusal.WINDOW_CLOSED
    )


def test_merchant_silence_refunds_the_buyer_in_full_under_the_refund_policy() -> None:
    case = make_case(S.AWAITING_MERCHANT)
    assert case.next_deadline_at is not None

    decision = run(case, Action.MERCHANT_TIMEOUT, SYSTEM, now=case.next_deadline_at,
                   policy=Policy(merchant_timeout=MerchantTimeout.REFUND))

    assert (decision.after.status, decision.after.approved_amount) == (S.REFUND_PENDING, 3000)
    assert decision.event.amount == 3000


def test_merchant_silence_goes_to_arbitration_under_the_escalate_policy() -> None:
    case = make_case(S.AWAITING_MERCHANT)
    assert case.next_deadline_at is not None

    decision = run(case, Action.MERCHANT_TIMEOUT, SYSTEM, now=case.next_deadline_at,
                   policy=Policy(merchant_timeout=MerchantTimeout.ESCALATE))

    assert (decision.after.status, decision.after.approved_amount) == (S.IN_ARBITRATION, None)
    assert decision.after.deadline_kind is DeadlineKind.ARBITRATION


@pytest.mark.parametrize(
    ("action", "status"),
    [
        (Action.EVIDENCE_TIMEOUT, S.AWAITING_EVIDENCE),
        (Action.MERCHANT_TIMEOUT, S.AWAITING_MERCHANT),
        (Action.ESCALATION_EXPIRED, S.NEGOTIATING),
    ],
)
def test_a_timeout_before_its_deadline_is_refused(action: Action, status: CaseStatus) -> None:
    case = make_case(status)
    assert case.next_deadline_at is not None

    assert refusal(case, action, SYSTEM, now=case.next_deadline_at - timedelta(seconds=1)) is (
        Refusal.NOT_DUE
    )


def test_taking_a_case_assigns_it_and_keeps_the_review_deadline() -> None:
    case = make_case(S.SUBMITTED)

    decision = run(case, Action.TAKE, AGENT_ACTOR)

    assert (decision.after.status, decision.after.assignee_id) == (S.IN_REVIEW, AGENT)
    assert decision.after.next_deadline_at == case.next_deadline_at == at(2, month=12)
    assert decision.event.extra == {"assignee": str(AGENT)}


def test_assigning_needs_someone_and_changes_nothing_else() -> None:
    case = make_case(S.AWAITING_MERCHANT)

    assert refusal(case, Action.ASSIGN, AGENT_ACTOR) is Refusal.ASSIGNEE_REQUIRED
    after = run(case, Action.ASSIGN, AGENT_ACTOR, assignee=ARBITRATOR).after
    assert after == replace(case, assignee_id=ARBITRATOR, updated_at=LATER)


def test_asking_for_evidence_pauses_the_review_time_left() -> None:
    case = make_case(S.IN_REVIEW)  # review due at the end of Tuesday 1 December

    after = run(case, Action.REQUEST_EVIDENCE, AGENT_ACTOR, now=at(27, 12), note="付款截图").after

    assert after.status is S.AWAITING_EVIDENCE
    # Working time only: the rest of Friday, then Monday 30 November and Tuesday 1 December.
    assert after.paused_review_seconds == int(timedelta(hours=12 + 24 + 24).total_seconds())
    assert after.deadline_kind is DeadlineKind.EVIDENCE
    assert after.next_deadline_at == at(1, month=12)  # 3 days after Friday 27, end of day


def test_evidence_resumes_review_with_the_time_that_was_left() -> None:
    paused = run(make_case(S.IN_REVIEW), Action.REQUEST_EVIDENCE, AGENT_ACTOR, now=at(27, 12),
                 note="付款截图").after

    after = run(paused, Action.SUPPLY_EVIDENCE, BUYER_ACTOR, now=at(29, 12)).after

    # 60 working hours from Sunday noon: all of Monday and Tuesday, and Wednesday to noon.
    assert after.status is S.IN_REVIEW
    assert after.paused_review_seconds is None
    assert after.deadline_kind is DeadlineKind.REVIEW
    assert after.next_deadline_at == after.review_due_at == at(2, 12, month=12)


def test_resumed_review_time_skips_the_weekend() -> None:
    paused = run(make_case(S.IN_REVIEW), Action.REQUEST_EVIDENCE, AGENT_ACTOR, now=at(27, 12),
                 note="付款截图").after

    after = run(paused, Action.SUPPLY_EVIDENCE, BUYER_ACTOR, now=at(3, 10, month=12)).after

    # 60 working hours from Thursday 10:00: 14 h of Thursday, Friday, then Monday to 22:00
    # (as calendar time they would end on Saturday 5 December at 22:00).
    assert after.next_deadline_at == at(7, 22, month=12)


def test_review_resumes_with_at_least_the_next_working_day() -> None:
    paused = run(make_case(S.IN_REVIEW), Action.REQUEST_EVIDENCE, AGENT_ACTOR,
                 now=at(1, 23, month=12), note="付款截图").after
    assert paused.paused_review_seconds == 3600
    assert paused.next_deadline_at is not None

    after = run(paused, Action.EVIDENCE_TIMEOUT, SYSTEM, now=paused.next_deadline_at).after

    # The evidence deadline passes on Saturday 5 December: staff get all of Monday 7.
    assert paused.next_deadline_at == at(5, month=12)
    assert after.next_deadline_at == at(8, month=12)


def test_withdrawing_while_waiting_for_evidence_forgets_the_paused_time() -> None:
    after = run(make_case(S.AWAITING_EVIDENCE), Action.WITHDRAW, BUYER_ACTOR).after

    assert after.status is S.WITHDRAWN
    assert (after.paused_review_seconds, after.next_deadline_at, after.deadline_kind) == (
        None, None, None,
    )


def test_decide_changes_nothing_when_it_refuses() -> None:
    case = make_case(S.IN_REVIEW)
    frozen = replace(case)

    refusal(case, Action.APPROVE_REFUND, AGENT_ACTOR, amount=999_999)

    assert case == frozen
