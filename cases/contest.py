"""The merchant's contest of an instant refund, as the lifecycle sees it, and its claw-back.

An instant refund (cases/instant.py) is paid on the platform's word before anyone reviews the
case; the merchant may contest it once, within the policy's working days after the money was
paid. A contest reopens the normal review. The buyer has the money by then and keeps it whatever
the review finds: what is at stake is the claw-back, the refund the platform would repay the
merchant. Upheld, the platform owes the merchant the amount and the case counts as rejected for
the buyer (so no instant refund for them while it is recent); dismissed, the refund stands and
nothing is owed. Nothing is ever taken back from the buyer.
"""

from __future__ import annotations

from cases.actions import Action
from cases.model import Case, CaseStatus

# While a contested instant refund is reviewed the buyer already has the money: the review ends
# with the contest's own moves, never with a second approval, a rejection or a withdrawal; nor
# does it leave review for an assessment, whose wait would no longer read as contested.
NOT_WHILE_CONTESTED = frozenset(
    {
        Action.APPROVE_REFUND,
        Action.REJECT,
        Action.SEND_TO_MERCHANT,
        Action.WITHDRAW,
        Action.SEND_TO_ASSESSMENT,
    }
)
CONTEST_MOVES = frozenset({Action.UPHOLD_CONTEST, Action.DISMISS_CONTEST})
CLAWBACK_STATES = {
    Action.MERCHANT_CONTEST: "claimed",  # the merchant asks for the refund back
    Action.UPHOLD_CONTEST: "owed",  # the platform repays the merchant; the buyer keeps it
    Action.DISMISS_CONTEST: "cancelled",  # the refund stands; nothing is repaid
}


def contested(case: Case) -> bool:
    """A refunded case reopened by the merchant's contest: in review with a refund paid."""
    return (
        case.status in (CaseStatus.IN_REVIEW, CaseStatus.AWAITING_EVIDENCE)
        and case.approved_amount is not None
    )


def clawback_extra(action: Action, after: Case) -> dict[str, str]:
    """The claw-back a contest step records in its event, in exact fen; {} for other steps."""
    state = CLAWBACK_STATES.get(action)
    if state is None or after.approved_amount is None:
        return {}
    return {
        "clawback": state,
        "clawback_amount": str(after.approved_amount),
        "clawback_currency": after.currency,
        "clawback_owed_by": "platform",
        "clawback_owed_to": "merchant",
    }
