"""What every pushed notice builder shares: the facts of one transition and the common params.

The builders in notices_buyer.py, notices_merchant.py and notices_staff.py each turn the same
`Facts` into at most one reply for their audience; dialogs/notices.py routes and queues them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from cases.lifecycle import RULES, Action
from cases.model import Case, CaseEvent, CaseStatus
from cases.policy import MerchantTimeout
from dialogs import callbacks as cb
from dialogs.types import Button

MERCHANT_ANSWERS: Final = frozenset(
    {Action.MERCHANT_ACCEPT, Action.MERCHANT_OFFER, Action.MERCHANT_REJECT}
)


@dataclass(frozen=True)
class Facts:
    """One transition as the notices see it, with what the builders cannot work out alone."""

    before: Case
    after: Case
    event: CaseEvent
    deadline: datetime | None  # the case's next deadline; None: none
    merchant_timeout: MerchantTimeout  # what the merchant's silence leads to (policy)
    merchant_involved: bool = False  # the merchant was asked to respond at some point

    @property
    def action(self) -> Action | None:
        """The lifecycle action, or None for one this code does not know (or the submit)."""
        try:
            return Action(self.event.action)
        except ValueError:
            return None

    @property
    def internal(self) -> bool:
        """Staff-only steps (notes, assignments) are never told to the buyer or merchant."""
        action = self.action
        return action is not None and RULES[action].internal

    @property
    def moved(self) -> bool:
        return self.before.status is not self.after.status

    @property
    def status(self) -> CaseStatus:
        return self.after.status

    @property
    def approved(self) -> int:
        """The refund now approved, in fen: the case's, else the event's, else what was asked."""
        after = self.after
        if after.approved_amount is not None:
            return after.approved_amount
        return self.event.amount if self.event.amount is not None else after.refund_amount

    @property
    def lapsed_offer(self) -> int | None:
        """The merchant's offer the buyer let expire unanswered (the case closes, no refund)."""
        if self.action is Action.ESCALATION_EXPIRED and offer_pending(self.before):
            return self.before.offer_amount
        return None


def offer_pending(case: Case) -> bool:
    """The merchant's partial offer waits for the buyer's answer."""
    return (
        case.status is CaseStatus.NEGOTIATING
        and case.offer_amount is not None
        and not case.offer_declined
    )


def base_params(facts: Facts) -> dict[str, Any]:
    """The parameters every notice may use; the templates pick what they need."""
    case = facts.after
    return {
        "case_no": case.case_no,
        "order_no": case.order_no,
        "status": case.status.value,
        "currency": case.currency,
        "deadline": facts.deadline,
        "note": facts.event.note,
        "lapsed_offer": facts.lapsed_offer,
    }


def btn(label: str, prefix: str, case_no: str) -> Button:
    """A case-action button: the label key under notice.btn, the data prefix + case number."""
    return cb.button(f"notice.btn.{label}", prefix + case_no)
