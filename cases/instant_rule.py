"""The instant refund rule (闪电退款) as pure functions: who qualifies, and until when a contest.

A small, clear-cut case is refunded at submit, on the platform's own data, before anyone reviews
it (JD's 闪电退款). All of these must hold, each a policy number:

- the refund asked for is below `instant_refund_limit`;
- the buyer is in good standing: no rejected complaint in `instant_refund_rejected_days`, at most
  `instant_refund_max_open_cases` other open cases, and the platform account known from its
  first order in the orders data for `instant_refund_account_days`;
- the reason is backed by the platform's data: a top-up "not delivered" whose order is still
  `paid` with no delivery time, or an invalid card code whose `code_redeemed_at` (the platform
  saw the code used) is earlier than the payment.

The verdict carries every input as text, so the audit chain records what the rule saw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cases.actions import Action
from cases.calendar import WorkingCalendar
from cases.lifecycle import Refusal
from cases.model import Case, CaseEvent, Order, OrderStatus, Reason
from cases.policy import Policy

RULE = "instant_refund"
# The clear-cut bases, as the event and the texts name them.
NOT_DELIVERED = "not_delivered"
USED_BEFORE_PURCHASE = "used_before_purchase"
# The conditions, in the order the texts list those that failed.
CONDITIONS = ("basis", "amount", "rejected", "open_cases", "account_age")


@dataclass(frozen=True)
class Standing:
    """The buyer's record as the rule reads it, gathered by cases/instant.py."""

    rejected_recently: int  # rejected complaints within instant_refund_rejected_days
    open_others: int  # open cases besides the one just filed
    first_paid_at: datetime | None  # the account's first order in the orders data


@dataclass(frozen=True)
class Verdict:
    approved: bool
    basis: str  # NOT_DELIVERED, USED_BEFORE_PURCHASE or "" (no clear-cut basis)
    failed: tuple[str, ...]  # the CONDITIONS that did not hold
    inputs: dict[str, str] = field(default_factory=dict)

    def extra(self) -> dict[str, str]:
        """What the event records: the rule, its verdict and every input it read."""
        return {
            "rule": RULE,
            "basis": self.basis,
            "failed": ",".join(self.failed),
            **self.inputs,
        }


def basis_of(order: Order, reason: Reason) -> str:
    """The platform data that makes the case clear-cut, or "" when there is none."""
    if (
        reason is Reason.NOT_DELIVERED
        and order.status is OrderStatus.PAID
        and order.delivered_at is None
    ):
        return NOT_DELIVERED
    redeemed = order.code_redeemed_at
    if reason is Reason.CARD_INVALID and redeemed is not None and redeemed < order.paid_at:
        return USED_BEFORE_PURCHASE
    return ""


def judge(case: Case, order: Order, standing: Standing, now: datetime, policy: Policy) -> Verdict:
    """Applies the rule to a freshly filed case."""
    basis = basis_of(order, case.reason)
    account_since = now - timedelta(days=policy.instant_refund_account_days)
    first = standing.first_paid_at
    holds = {
        "basis": bool(basis),
        "amount": case.refund_amount < policy.instant_refund_limit,
        "rejected": standing.rejected_recently == 0,
        "open_cases": standing.open_others <= policy.instant_refund_max_open_cases,
        "account_age": first is not None and first <= account_since,
    }
    failed = tuple(name for name in CONDITIONS if not holds[name])
    inputs = {
        "amount": str(case.refund_amount),
        "limit": str(policy.instant_refund_limit),
        "currency": case.currency,
        "rejected_days": str(policy.instant_refund_rejected_days),
        "rejected_recently": str(standing.rejected_recently),
        "open_others": str(standing.open_others),
        "max_open_cases": str(policy.instant_refund_max_open_cases),
        "account_days": str(policy.instant_refund_account_days),
        "account_first_paid_at": "" if first is None else first.isoformat(),
        "order_status": order.status.value,
        "paid_at": order.paid_at.isoformat(),
        "delivered_at": "" if order.delivered_at is None else order.delivered_at.isoformat(),
        "code_redeemed_at": (
            "" if order.code_redeemed_at is None else order.code_redeemed_at.isoformat()
        ),
    }
    return Verdict(not failed, basis, failed, inputs)


def was_instant(events: Sequence[CaseEvent]) -> bool:
    return any(event.action == Action.INSTANT_REFUND.value for event in events)


def contest_window_end(
    events: Sequence[CaseEvent], policy: Policy, calendar: WorkingCalendar
) -> datetime | None:
    """When the merchant may no longer contest: N working days after the refund was paid.

    None before the refund is paid (the window has not started) or for any other case. Counting
    from the payment keeps a slow payout from eating the merchant's time.
    """
    if not was_instant(events):
        return None
    paid = [event.at for event in events if event.action == Action.CONFIRM_REFUND.value]
    if not paid:
        return None
    return calendar.add_working_days(paid[-1], policy.instant_contest_working_days)


def contest_refusal(
    events: Sequence[CaseEvent], now: datetime, policy: Policy, calendar: WorkingCalendar
) -> Refusal | None:
    """Why the merchant may not contest now, or None when they may."""
    if not was_instant(events):
        return Refusal.NOT_INSTANT
    if any(event.action == Action.MERCHANT_CONTEST.value for event in events):
        return Refusal.ALREADY_CONTESTED
    end = contest_window_end(events, policy, calendar)
    if end is None:
        return Refusal.WRONG_STATUS  # not paid yet: the lifecycle says the same
    if now >= end:
        return Refusal.CONTEST_WINDOW_CLOSED
    return None
