"""The case lifecycle: one table of the allowed transitions and who may make each, and `decide`.

`TABLE` is the whole process after filing; `cases/lifecycle.md` draws it (a test keeps the two in
step). `decide` is pure: it checks a request against the table and the platform's rules and
returns the changed case with the event that records the change, or raises TransitionRefused
without touching anything. `cases/workflow.py` loads, chains, saves and schedules around it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from cases.actions import Action
from cases.calendar import WorkingCalendar
from cases.contest import CONTEST_MOVES, NOT_WHILE_CONTESTED, clawback_extra, contested
from cases.deadlines import REVIEW_PAUSES, days_from, deadline_after, review_time_left
from cases.model import ActorKind, Case, CaseEvent, CaseStatus, DeadlineKind, is_open
from cases.policy import MerchantTimeout, Policy, cap_rule_params


class Refusal(StrEnum):
    """Why a transition was refused; dialogs turn each into a sentence for the person asking."""

    NOT_ALLOWED_FOR_ROLE = "not_allowed_for_role"
    WRONG_STATUS = "wrong_status"
    NOTE_REQUIRED = "note_required"
    AMOUNT_REQUIRED = "amount_required"
    AMOUNT_NOT_EXPECTED = "amount_not_expected"
    AMOUNT_NOT_POSITIVE = "amount_not_positive"
    AMOUNT_OVER_CAP = "amount_over_cap"
    AMOUNT_NOT_BELOW_REQUEST = "amount_not_below_request"
    NO_OFFER = "no_offer"  # there is no open offer to accept or decline
    OFFER_NOT_DECLINED = "offer_not_declined"  # decline the offer before escalating
    WINDOW_CLOSED = "window_closed"  # the escalation window has passed
    NOT_DUE = "not_due"  # a timeout before its deadline
    ASSIGNEE_REQUIRED = "assignee_required"
    ASSIGNEE_NOT_STAFF = "assignee_not_staff"
    ANOTHER_CASE_OPEN = "another_case_open"  # reopening would make a second open case
    SECOND_STAFF_REQUIRED = "second_staff_required"  # four eyes: a colleague must confirm
    NOT_INSTANT = "not_instant"  # only an instant refund can be contested
    CONTEST_WINDOW_CLOSED = "contest_window_closed"  # the working days to contest have passed
    ALREADY_CONTESTED = "already_contested"  # the merchant contests an instant refund once
    CONTESTED = "contested"  # a contested instant refund is decided with the contest's moves
    NOT_CONTESTED = "not_contested"  # the contest's moves need a contested case


class TransitionRefused(Exception):
    """The action is not allowed now; nothing was changed. `status` is the case's status."""

    def __init__(self, refusal: Refusal, status: CaseStatus) -> None:
        super().__init__(f"{refusal.value} (case is {status.value})")
        self.refusal = refusal
        self.status = status


class AmountRule(StrEnum):
    NONE = "none"  # no amount may be given
    UP_TO_CAP = "up_to_cap"  # required: 0 < amount ≤ the refund cap
    OFFER = "offer"  # required: 0 < amount < the buyer's request, and ≤ the cap


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    user_id: int | None  # None for the system


@dataclass(frozen=True)
class Rule:
    """One row of the table: from which statuses an action leads where, and who may take it."""

    action: Action
    sources: frozenset[CaseStatus]
    targets: tuple[CaseStatus, ...]  # empty: the status does not change
    actors: frozenset[ActorKind]
    note: bool = False  # a note is required (the reason, the request, the ruling)
    amount: AmountRule = AmountRule.NONE
    internal: bool = False  # staff-only: never shown or announced to the buyer or merchant


@dataclass(frozen=True)
class Decision:
    """The outcome of `decide`: `event` is not chained yet (seq 0, empty hashes)."""

    before: Case
    after: Case
    event: CaseEvent


S = CaseStatus
BUYER, MERCHANT, SYSTEM = ActorKind.BUYER, ActorKind.MERCHANT, ActorKind.SYSTEM
AGENT, ARBITRATOR, ADMIN = ActorKind.AGENT, ActorKind.ARBITRATOR, ActorKind.ADMIN
OPEN = frozenset(status for status in CaseStatus if is_open(status))
# Until someone decides (a refund is approved or the case is closed), the buyer may withdraw.
BEFORE_DECISION = OPEN - {S.REFUND_PENDING}
# Where a review is under way, so leaving for a pause keeps the review time it had left.
REVIEWING = frozenset({S.SUBMITTED, S.IN_REVIEW})


def _rule(
    action: Action,
    sources: frozenset[CaseStatus] | set[CaseStatus],
    targets: tuple[CaseStatus, ...],
    actors: set[ActorKind],
    **options: Any,
) -> Rule:
    return Rule(action, frozenset(sources), targets, frozenset(actors), **options)


UP_TO_CAP, OFFER = AmountRule.UP_TO_CAP, AmountRule.OFFER

TABLE: tuple[Rule, ...] = (
    _rule(Action.TAKE, {S.SUBMITTED}, (S.IN_REVIEW,), {AGENT, ARBITRATOR, ADMIN}),
    _rule(Action.ASSIGN, OPEN, (), {AGENT, ADMIN}, internal=True),
    _rule(
        Action.REQUEST_EVIDENCE,
        {S.SUBMITTED, S.IN_REVIEW},
        (S.AWAITING_EVIDENCE,),
        {AGENT, ADMIN},
        note=True,
    ),
    _rule(Action.SUPPLY_EVIDENCE, {S.AWAITING_EVIDENCE}, (S.IN_REVIEW,), {BUYER}),
    _rule(Action.EVIDENCE_TIMEOUT, {S.AWAITING_EVIDENCE}, (S.IN_REVIEW,), {SYSTEM}),
    _rule(
        Action.SEND_TO_MERCHANT, {S.SUBMITTED, S.IN_REVIEW}, (S.AWAITING_MERCHANT,), {AGENT, ADMIN}
    ),
    _rule(Action.MERCHANT_ACCEPT, {S.AWAITING_MERCHANT}, (S.REFUND_PENDING,), {MERCHANT}),
    _rule(Action.MERCHANT_OFFER, {S.AWAITING_MERCHANT}, (S.NEGOTIATING,), {MERCHANT}, amount=OFFER),
    _rule(Action.MERCHANT_REJECT, {S.AWAITING_MERCHANT}, (S.NEGOTIATING,), {MERCHANT}, note=True),
    _rule(
        Action.MERCHANT_TIMEOUT,
        {S.AWAITING_MERCHANT},
        (S.REFUND_PENDING, S.IN_ARBITRATION),
        {SYSTEM},
    ),
    _rule(Action.ACCEPT_OFFER, {S.NEGOTIATING}, (S.REFUND_PENDING,), {BUYER}),
    _rule(Action.DECLINE_OFFER, {S.NEGOTIATING}, (S.NEGOTIATING,), {BUYER}),
    _rule(Action.ESCALATE, {S.NEGOTIATING, S.REJECTED}, (S.IN_ARBITRATION,), {BUYER}),
    _rule(Action.ESCALATION_EXPIRED, {S.NEGOTIATING}, (S.CLOSED,), {SYSTEM}),
    _rule(
        Action.APPROVE_REFUND,
        {S.SUBMITTED, S.IN_REVIEW, S.AWAITING_MERCHANT, S.NEGOTIATING},
        (S.REFUND_PENDING,),
        {AGENT, ADMIN},
        amount=UP_TO_CAP,
    ),
    _rule(Action.REJECT, {S.SUBMITTED, S.IN_REVIEW}, (S.REJECTED,), {AGENT, ADMIN}, note=True),
    _rule(
        Action.RULE_FOR_BUYER,
        {S.IN_ARBITRATION},
        (S.REFUND_PENDING,),
        {ARBITRATOR, ADMIN},
        amount=UP_TO_CAP,
    ),
    _rule(
        Action.RULE_FOR_MERCHANT, {S.IN_ARBITRATION}, (S.CLOSED,), {ARBITRATOR, ADMIN}, note=True
    ),
    _rule(Action.CONFIRM_REFUND, {S.REFUND_PENDING}, (S.REFUNDED,), {AGENT, ADMIN, SYSTEM}),
    _rule(Action.WITHDRAW, BEFORE_DECISION, (S.WITHDRAWN,), {BUYER}),
    _rule(
        Action.NOTE, frozenset(CaseStatus), (), {AGENT, ARBITRATOR, ADMIN}, note=True, internal=True
    ),
    _rule(Action.CLOSE, OPEN, (S.CLOSED,), {ADMIN}, note=True),
    _rule(Action.INSTANT_REFUND, {S.SUBMITTED}, (S.REFUND_PENDING,), {SYSTEM}, amount=UP_TO_CAP),
    _rule(Action.MERCHANT_CONTEST, {S.REFUNDED}, (S.IN_REVIEW,), {MERCHANT}, note=True),
    _rule(Action.UPHOLD_CONTEST, {S.IN_REVIEW}, (S.REJECTED,), {AGENT, ADMIN}, note=True),
    _rule(Action.DISMISS_CONTEST, {S.IN_REVIEW}, (S.REFUNDED,), {AGENT, ADMIN}),
    # A third-party assessment: the note says what is assessed and by whom (staff only), and
    # the result when it is recorded; the case goes back to where it was sent from.
    _rule(
        Action.SEND_TO_ASSESSMENT,
        {S.IN_REVIEW, S.IN_ARBITRATION},
        (S.AWAITING_ASSESSMENT,),
        {AGENT, ARBITRATOR, ADMIN},
        note=True,
    ),
    _rule(
        Action.RECORD_ASSESSMENT,
        {S.AWAITING_ASSESSMENT},
        (S.IN_REVIEW, S.IN_ARBITRATION),
        {AGENT, ARBITRATOR, ADMIN},
        note=True,
    ),
)

RULES: dict[Action, Rule] = {rule.action: rule for rule in TABLE}


def rule_for(action: Action) -> Rule:
    """Returns the table's row for an action."""
    return RULES[action]


def refund_cap(case: Case, policy: Policy) -> int:
    """Returns the most this case may refund, in fen."""
    # Cases filed before the order amount was recorded fall back to what the buyer asked for,
    # which was itself checked against the cap at filing.
    return policy.refund_cap(case.order_amount or case.refund_amount)


def cap_rule(case: Case, policy: Policy) -> dict[str, str | int | None] | None:
    """Returns the cap rule to quote for this case (text parameters), or None if none bites."""
    return cap_rule_params(policy, case.order_amount or case.refund_amount)


def request_cap_rule(case: Case, policy: Policy) -> dict[str, str | int | None] | None:
    """Returns the cap rule when it is what lowered the buyer's request, else None."""
    if case.refund_amount < refund_cap(case, policy):
        return None
    return cap_rule(case, policy)


def decide(
    case: Case,
    action: Action,
    actor: Actor,
    now: datetime,
    policy: Policy,
    calendar: WorkingCalendar,
    *,
    amount: int | None = None,
    note: str = "",
    assignee: int | None = None,
    extra: dict[str, str] | None = None,
) -> Decision:
    """Returns what `actor` taking `action` on `case` at `now` changes; raises TransitionRefused.

    Checks, in order: the actor's role, the case's status, the note, the amount, then what the
    action itself needs (an open offer, an open window, a due deadline, an assignee).
    """
    rule = RULES[action]
    note = note.strip()

    def refuse(refusal: Refusal) -> TransitionRefused:
        return TransitionRefused(refusal, case.status)

    if actor.kind not in rule.actors:
        raise refuse(Refusal.NOT_ALLOWED_FOR_ROLE)
    if case.status not in rule.sources:
        raise refuse(Refusal.WRONG_STATUS)
    if rule.note and not note:
        raise refuse(Refusal.NOTE_REQUIRED)
    refusal = _amount_refusal(rule.amount, amount, case, policy)
    if refusal is not None:
        raise refuse(refusal)
    refusal = _guard_refusal(action, case, now, policy, calendar, assignee)
    if refusal is not None:
        raise refuse(refusal)

    status, changes = _effect(action, case, actor, policy, amount, assignee)
    restart = status is not case.status or action is Action.DECLINE_OFFER
    deadline = deadline_after(case, status, now, policy, calendar, restart=restart)
    changes.update(
        status=status,
        updated_at=now,
        deadline_kind=None if deadline is None else deadline.kind,
        next_deadline_at=None if deadline is None else deadline.at,
    )
    if deadline is not None and deadline.kind is DeadlineKind.REVIEW:
        changes["review_due_at"] = deadline.at
    if status in REVIEW_PAUSES and case.status in REVIEWING:
        changes["paused_review_seconds"] = review_time_left(case, now, calendar)
    elif case.status in REVIEW_PAUSES and status not in REVIEW_PAUSES:
        changes["paused_review_seconds"] = None
    after = replace(case, **changes)
    event = _event(case, after, action, actor, now, note, amount)
    if extra:
        event = replace(event, extra={**event.extra, **extra})
    return Decision(case, after, event)


def _amount_refusal(
    kind: AmountRule, amount: int | None, case: Case, policy: Policy
) -> Refusal | None:
    """Returns why the amount does not fit the action, or None when it does."""
    if kind is AmountRule.NONE:
        return None if amount is None else Refusal.AMOUNT_NOT_EXPECTED
    if amount is None:
        return Refusal.AMOUNT_REQUIRED
    if amount <= 0:
        return Refusal.AMOUNT_NOT_POSITIVE
    # A partial offer must be partial: offering the full request is accepting it.
    if kind is AmountRule.OFFER and amount >= case.refund_amount:
        return Refusal.AMOUNT_NOT_BELOW_REQUEST
    if amount > refund_cap(case, policy):
        return Refusal.AMOUNT_OVER_CAP
    return None


def _guard_refusal(
    action: Action,
    case: Case,
    now: datetime,
    policy: Policy,
    calendar: WorkingCalendar,
    assignee: int | None,
) -> Refusal | None:
    """Returns why the action's own condition fails, or None when it holds."""
    has_offer = case.offer_amount is not None and not case.offer_declined
    if action in NOT_WHILE_CONTESTED and contested(case):
        return Refusal.CONTESTED
    if action in CONTEST_MOVES and not contested(case):
        return Refusal.NOT_CONTESTED
    match action:
        case Action.ESCALATE if case.approved_amount is not None:
            # Only a contest upheld leaves a rejected case with a refund: the buyer keeps it.
            return Refusal.CONTESTED
        case Action.ASSIGN if assignee is None:
            return Refusal.ASSIGNEE_REQUIRED
        case Action.ACCEPT_OFFER | Action.DECLINE_OFFER if not has_offer:
            return Refusal.NO_OFFER
        case Action.ESCALATE if case.status is S.NEGOTIATING and not case.offer_declined:
            return Refusal.OFFER_NOT_DECLINED
        case Action.ESCALATE if now >= _escalation_window_end(case, policy, calendar):
            return Refusal.WINDOW_CLOSED
        case Action.EVIDENCE_TIMEOUT | Action.MERCHANT_TIMEOUT | Action.ESCALATION_EXPIRED:
            # A timeout taken early would cut short the time the rules promise someone.
            if case.next_deadline_at is not None and now < case.next_deadline_at:
                return Refusal.NOT_DUE
    return None


def _escalation_window_end(case: Case, policy: Policy, calendar: WorkingCalendar) -> datetime:
    """Returns when the buyer may no longer escalate the negotiating or rejected case."""
    if case.deadline_kind is DeadlineKind.BUYER_DECISION and case.next_deadline_at is not None:
        return case.next_deadline_at
    # A rejected case stored without its window: count from the rejection.
    return days_from(case.updated_at, policy.escalation_days, calendar)


def _effect(
    action: Action,
    case: Case,
    actor: Actor,
    policy: Policy,
    amount: int | None,
    assignee: int | None,
) -> tuple[CaseStatus, dict[str, Any]]:
    """Returns the status the action leads to and the case fields it sets."""
    rule = RULES[action]
    status = rule.targets[0] if rule.targets else case.status
    match action:
        case Action.TAKE:
            return status, {"assignee_id": actor.user_id}
        case Action.ASSIGN:
            return status, {"assignee_id": assignee}
        case Action.MERCHANT_ACCEPT:
            return status, {"approved_amount": case.refund_amount}
        case Action.MERCHANT_OFFER:
            return status, {"offer_amount": amount, "offer_declined": False}
        case Action.MERCHANT_REJECT:
            return status, {"offer_amount": None, "offer_declined": True}
        case Action.MERCHANT_TIMEOUT if policy.merchant_timeout is MerchantTimeout.REFUND:
            return S.REFUND_PENDING, {"approved_amount": case.refund_amount}
        case Action.MERCHANT_TIMEOUT:
            return S.IN_ARBITRATION, {}
        case Action.RECORD_ASSESSMENT:
            # Only a case sent from review keeps review time while it waits (decide pauses it).
            back = S.IN_REVIEW if case.paused_review_seconds is not None else S.IN_ARBITRATION
            return back, {}
        case Action.ACCEPT_OFFER:
            return status, {"approved_amount": case.offer_amount}
        case Action.DECLINE_OFFER:
            return status, {"offer_declined": True}
        case Action.APPROVE_REFUND | Action.RULE_FOR_BUYER | Action.INSTANT_REFUND:
            return status, {"approved_amount": amount}
    return status, {}


def _event(
    before: Case,
    after: Case,
    action: Action,
    actor: Actor,
    now: datetime,
    note: str,
    amount: int | None,
) -> CaseEvent:
    """Records the change; the amount is the one given, else the refund approved or paid."""
    if amount is None and (
        after.approved_amount != before.approved_amount or action is Action.CONFIRM_REFUND
    ):
        amount = after.approved_amount
    extra: dict[str, str] = {}
    clawback = clawback_extra(action, after)
    if clawback:
        amount = after.approved_amount
        extra.update(clawback)
    if after.assignee_id != before.assignee_id and after.assignee_id is not None:
        extra["assignee"] = str(after.assignee_id)
    if (
        (after.deadline_kind, after.next_deadline_at)
        != (
            before.deadline_kind,
            before.next_deadline_at,
        )
        and after.next_deadline_at is not None
        and after.deadline_kind is not None
    ):
        extra["deadline_kind"] = after.deadline_kind.value
        extra["deadline_at"] = after.next_deadline_at.isoformat()
    return CaseEvent(
        case_no=before.case_no,
        seq=0,
        at=now,
        actor_kind=actor.kind,
        actor_id=actor.user_id,
        action=action.value,
        from_status=before.status,
        to_status=after.status,
        note=note,
        amount=amount,
        extra=extra,
    )
