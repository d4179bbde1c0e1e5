"""What the staff chat hears: new cases with risk hints, and every step that needs a staff move.

New case, evidence supplied, the merchant's answer or silence, escalation (arbitration needed),
an approved refund (with the payout button when staff pay by hand) and withdrawals. What staff
did themselves (take, request evidence, reject, rule against the buyer, notes) is not echoed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cases.lifecycle import Action, request_cap_rule
from cases.model import Case, CaseStatus, DeadlineKind
from cases.policy import Policy
from dialogs import callbacks as cb
from dialogs.context import ButtonRows
from dialogs.notices_common import Facts, base_params, btn
from dialogs.types import Reply


def new_case_notice(
    case: Case, deadline: datetime | None, risk: dict[str, Any], policy: Policy
) -> Reply:
    """The staff card of a freshly filed case, with its risk signals (dialogs/staff_risk.py)."""
    params = {
        "case_no": case.case_no,
        "order_no": case.order_no,
        "merchant_code": case.merchant_code,
        "reason": case.reason.value,
        "description": case.description,
        "requested": case.refund_amount,
        "order_amount": case.order_amount,
        "currency": case.currency,
        "refund_method": case.refund_method.value,
        "evidence_count": case.evidence_count,
        "deadline": deadline,
        "risk": risk,
        "cap_rule": request_cap_rule(case, policy),
    }
    return Reply("notice.staff.new_case", params, review_buttons(case))


def staff_notice(facts: Facts, *, manual_payout: bool) -> Reply | None:
    """Returns the staff chat's notice for one transition, or None when staff need not hear."""
    happening = _happening(facts)
    if happening is None:
        return None
    case = facts.after
    params = {
        **base_params(facts),
        "approved": facts.approved,
        "offer": case.offer_amount,
        "requested": case.refund_amount,
        "refund_method": case.refund_method.value,
        "evidence_count": case.evidence_count,
        "merchant_code": case.merchant_code,
        "cause": _cause(facts.action),
        "manual": manual_payout,
    }
    n = case.case_no
    buttons: ButtonRows = ((btn("card", cb.STAFF_CARD, n),),)
    if happening == "evidence_added":
        buttons = review_buttons(case)
    elif happening == "arbitration_needed":
        buttons = arbitration_buttons(n)
    elif happening == "refund_approved" and manual_payout:
        buttons = payout_buttons(n)
    return Reply(f"notice.staff.{happening}", params, buttons)


def _happening(facts: Facts) -> str | None:
    action, status = facts.action, facts.status
    if action is Action.SUPPLY_EVIDENCE:
        return "evidence_added"
    if status is CaseStatus.REFUND_PENDING and facts.moved:
        return "refund_approved"
    if status is CaseStatus.IN_ARBITRATION and facts.moved:
        return "arbitration_needed"
    if status is CaseStatus.WITHDRAWN and facts.moved:
        return "withdrawn"
    return _INFO.get(action) if action is not None else None


# Steps staff should know of but need not act on yet (the buyer's move comes next).
_INFO = {
    Action.MERCHANT_OFFER: "merchant_offered",
    Action.MERCHANT_REJECT: "merchant_rejected",
    Action.DECLINE_OFFER: "offer_declined",
    Action.EVIDENCE_TIMEOUT: "evidence_missed",
    Action.ESCALATION_EXPIRED: "escalation_expired",
}
# Who approved a refund or sent a case to arbitration, as the staff texts name it.
_CAUSES = frozenset(
    {
        Action.MERCHANT_ACCEPT,
        Action.MERCHANT_TIMEOUT,
        Action.ACCEPT_OFFER,
        Action.APPROVE_REFUND,
        Action.RULE_FOR_BUYER,
        Action.ESCALATE,
    }
)


def _cause(action: Action | None) -> str:
    return action.value if action in _CAUSES and action is not None else "other"


def review_buttons(case: Case) -> ButtonRows:
    """The reviewer's moves on a case in review: take it (while nobody has), look, ask, decide."""
    n = case.case_no
    first = (btn("take", cb.STAFF_TAKE, n),) if case.assignee_id is None else ()
    return (
        (*first, btn("card", cb.STAFF_CARD, n), btn("view_evidence", cb.STAFF_EVIDENCE, n)),
        (btn("request", cb.STAFF_REQUEST, n), btn("to_merchant", cb.STAFF_MERCHANT, n)),
        (
            btn("approve_full", cb.STAFF_APPROVE_FULL, n),
            btn("approve_partial", cb.STAFF_APPROVE_PARTIAL, n),
            btn("reject", cb.STAFF_REJECT, n),
        ),
    )


def arbitration_buttons(case_no: str) -> ButtonRows:
    n = case_no
    return (
        (btn("card", cb.STAFF_CARD, n), btn("view_evidence", cb.STAFF_EVIDENCE, n)),
        (
            btn("rule_buyer", cb.STAFF_RULE_BUYER, n),
            btn("rule_merchant", cb.STAFF_RULE_MERCHANT, n),
        ),
        (btn("note", cb.STAFF_NOTE, n),),
    )


def payout_buttons(case_no: str) -> ButtonRows:
    n = case_no
    return ((btn("paid", cb.STAFF_PAID, n), btn("card", cb.STAFF_CARD, n)),)


def deadline_buttons(kind: DeadlineKind, case: Case) -> ButtonRows:
    """The buttons a staff reminder or overdue alert carries for the deadline it is about."""
    if kind is DeadlineKind.ARBITRATION:
        return arbitration_buttons(case.case_no)
    if kind is DeadlineKind.REFUND:
        return payout_buttons(case.case_no)
    if kind is DeadlineKind.REVIEW:
        return review_buttons(case)
    if kind is DeadlineKind.ASSESSMENT:
        n = case.case_no
        return ((btn("card", cb.STAFF_CARD, n), btn("assessed", cb.STAFF_ASSESSED, n)),)
    return ((btn("card", cb.STAFF_CARD, case.case_no),),)
