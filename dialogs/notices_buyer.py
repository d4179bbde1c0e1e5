"""What the buyer hears when their case moves: what happened, what next, by when, what to do.

Every status change reaches the buyer, and so does declining an offer (which opens the window to
escalate); internal steps (notes, assignments) never do. The filing receipt is the dialog's own
reply, so the submit event sends the buyer nothing here.
"""

from __future__ import annotations

from cases.contest import contested
from cases.lifecycle import Action
from cases.model import Case, CaseStatus, DeadlineKind
from dialogs import callbacks as cb
from dialogs.context import ButtonRows
from dialogs.notices_common import Facts, base_params, btn, offer_pending
from dialogs.support import SupportContact, support_params
from dialogs.types import Button, Reply

# Cases the buyer may still withdraw: nothing has been decided yet (DESIGN.md §2).
_WITHDRAWABLE = frozenset(
    {
        CaseStatus.SUBMITTED,
        CaseStatus.IN_REVIEW,
        CaseStatus.AWAITING_EVIDENCE,
        CaseStatus.AWAITING_MERCHANT,
        CaseStatus.NEGOTIATING,
        CaseStatus.IN_ARBITRATION,
        CaseStatus.AWAITING_ASSESSMENT,
    }
)


def buyer_notice(facts: Facts, support: SupportContact | None = None) -> Reply | None:
    """Returns the buyer's notice for one transition, or None when the buyer hears nothing."""
    happening = _happening(facts)
    if happening is None:
        return None
    case = facts.after
    params = {
        **base_params(facts),
        "approved": facts.approved,
        "requested": case.refund_amount,
        "offer": case.offer_amount,
        "refund_method": case.refund_method.value,
        "reason": case.reason.value,
        "silence": facts.merchant_timeout.value,
        "support": support_params(support),
    }
    return Reply(f"notice.buyer.{happening}", params, buyer_buttons(case))


def _happening(facts: Facts) -> str | None:
    """Names what happened, in the buyer's terms; None for what the buyer need not hear."""
    action, status = facts.action, facts.status
    if facts.internal:
        return None
    if action is Action.DECLINE_OFFER:  # the case stays negotiating, with a new window
        return "offer_declined"
    if not facts.moved:
        return None
    if action is Action.RULE_FOR_MERCHANT:
        return "ruled_for_merchant"
    if action is Action.RECORD_ASSESSMENT:
        return "assessment_done"
    if status is CaseStatus.IN_REVIEW:
        return _BACK_IN_REVIEW.get(action, "in_review") if action else "in_review"
    if status is CaseStatus.NEGOTIATING:
        return "offer_made" if offer_pending(facts.after) else "merchant_rejected"
    if status is CaseStatus.IN_ARBITRATION:
        return "merchant_silent_arbitration" if action is Action.MERCHANT_TIMEOUT else "escalated"
    if status is CaseStatus.REFUND_PENDING:
        return _APPROVED_BY.get(action, "approved") if action else "approved"
    if status is CaseStatus.CLOSED and action is Action.ESCALATION_EXPIRED:
        return "escalation_expired"
    return _BY_STATUS.get(status, "status_changed")


_BACK_IN_REVIEW = {
    Action.SUPPLY_EVIDENCE: "evidence_received",
    Action.EVIDENCE_TIMEOUT: "evidence_missed",
}
_APPROVED_BY = {
    Action.MERCHANT_ACCEPT: "merchant_accepted",
    Action.MERCHANT_TIMEOUT: "merchant_silent_refund",
    Action.ACCEPT_OFFER: "offer_accepted",
    Action.RULE_FOR_BUYER: "ruled_for_buyer",
}
_BY_STATUS = {
    CaseStatus.AWAITING_EVIDENCE: "evidence_requested",
    CaseStatus.AWAITING_MERCHANT: "sent_to_merchant",
    CaseStatus.AWAITING_ASSESSMENT: "assessment_started",
    CaseStatus.REJECTED: "rejected",
    CaseStatus.REFUNDED: "refunded",
    CaseStatus.WITHDRAWN: "withdrawn",
    CaseStatus.CLOSED: "closed",
}


def escalation_open(case: Case) -> bool:
    """The buyer may still take the case to platform arbitration (after a no, within the window)."""
    if case.deadline_kind is not DeadlineKind.BUYER_DECISION or case.next_deadline_at is None:
        return False
    if case.approved_amount is not None:
        return False  # a contest upheld: the buyer has the refund, there is nothing to escalate
    if case.status is CaseStatus.REJECTED:
        return True
    return case.status is CaseStatus.NEGOTIATING and not offer_pending(case)


def buyer_buttons(case: Case) -> ButtonRows:
    """The buyer's moves in the case's current status, and nothing that would be refused."""
    n = case.case_no
    lines: list[tuple[Button, ...]] = []
    if case.status is CaseStatus.AWAITING_EVIDENCE:
        lines.append((btn("evidence", cb.BUYER_EVIDENCE, n),))
    if offer_pending(case):
        lines.append((btn("accept", cb.BUYER_ACCEPT, n), btn("decline", cb.BUYER_DECLINE, n)))
    if escalation_open(case):
        lines.append((btn("escalate", cb.BUYER_ESCALATE, n),))
    if case.status in _WITHDRAWABLE and not contested(case):
        lines.append((btn("withdraw", cb.BUYER_WITHDRAW, n),))
    else:
        # A decided case: its file is what the buyer takes to the consumer association or 12315.
        lines.append((btn("file", cb.BUYER_FILE, n), btn("dossier", cb.BUYER_DOSSIER, n)))
    return tuple(lines)
