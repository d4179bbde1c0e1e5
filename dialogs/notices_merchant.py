"""What the merchant hears: the request to respond, the buyer's answer, escalation, the result.

The merchant never learns who the buyer is: no Telegram id, username or platform account goes
into these params, only the complaint itself (order, reason, description, evidence count, amount).
Before the case reaches the merchant, and for their own answers, the merchant hears nothing here.
"""

from __future__ import annotations

from cases.lifecycle import Action
from cases.model import CaseStatus, Order
from dialogs import callbacks as cb
from dialogs.context import ButtonRows
from dialogs.notices_common import MERCHANT_ANSWERS, Facts, base_params, btn
from dialogs.types import Reply

_RESULTS = {
    CaseStatus.REFUND_PENDING: "result_refund",
    CaseStatus.REJECTED: "result_no_refund",
    CaseStatus.WITHDRAWN: "withdrawn",
    CaseStatus.CLOSED: "closed",
}


def merchant_notice(facts: Facts, order: Order | None) -> Reply | None:
    """Returns the merchant's notice for one transition, or None when they hear nothing."""
    happening = _happening(facts)
    if happening is None:
        return None
    case = facts.after
    params = {
        **base_params(facts),
        "approved": facts.approved,
        "offer": case.offer_amount,
        "silence": facts.merchant_timeout.value,
    }
    buttons: ButtonRows = ()
    if happening == "asked":
        params |= {
            "reason": case.reason.value,
            "description": case.description,
            "evidence_count": case.evidence_count,
            "requested": case.refund_amount,
            "product": order.product if order is not None else "",
            "order_amount": order.amount if order is not None else case.order_amount,
        }
        buttons = merchant_buttons(case.case_no)
    return Reply(f"notice.merchant.{happening}", params, buttons)


def _happening(facts: Facts) -> str | None:
    action, status = facts.action, facts.status
    if facts.internal or action in MERCHANT_ANSWERS:
        return None
    if status is CaseStatus.AWAITING_MERCHANT and facts.moved:
        return "asked"
    if not facts.merchant_involved:
        return None
    if action is Action.RULE_FOR_MERCHANT:
        return "result_no_refund"
    if action is Action.MERCHANT_TIMEOUT:
        return "timeout_refund" if status is CaseStatus.REFUND_PENDING else "timeout_escalated"
    if action is Action.ACCEPT_OFFER:
        return "offer_accepted"
    if action is Action.DECLINE_OFFER:
        return "offer_declined"
    if not facts.moved:
        return None
    if action in _ASSESSMENT:
        return _ASSESSMENT[action]
    if status is CaseStatus.IN_ARBITRATION:
        return "escalated"
    return _RESULTS.get(status)


# A merchant who has answered hears of an assessment too: it bears on their side of the case.
_ASSESSMENT = {
    Action.SEND_TO_ASSESSMENT: "assessment_started",
    Action.RECORD_ASSESSMENT: "assessment_done",
}


def merchant_buttons(case_no: str) -> ButtonRows:
    """The merchant's three answers: the refund asked for, a partial offer, or a reasoned no."""
    n = case_no
    return (
        (btn("m_accept", cb.MERCHANT_ACCEPT, n),),
        (btn("m_offer", cb.MERCHANT_OFFER, n), btn("m_reject", cb.MERCHANT_REJECT, n)),
    )
