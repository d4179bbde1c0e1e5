"""The four-eyes proposal as staff see it: the card's block and the confirm / dismiss buttons."""

from __future__ import annotations

from typing import Any

from cases.actions import Action
from cases.four_eyes import Proposal
from cases.model import Case
from dialogs import callbacks as cb
from dialogs.context import ButtonRows

# The staff move each guarded step is named by in texts (staff.move.*, staff.done.*).
_MOVE_NAMES = {
    Action.APPROVE_REFUND: "approve_partial",
    Action.RULE_FOR_BUYER: "rule_buyer",
    Action.RULE_FOR_MERCHANT: "rule_merchant",
}


def move_name(proposal: Proposal, case: Case) -> str:
    """The staff move the proposal stands for; approving the whole request is its own move."""
    if proposal.action is Action.APPROVE_REFUND and proposal.amount == case.refund_amount:
        return "approve_full"
    return _MOVE_NAMES[proposal.action]


def proposal_params(proposal: Proposal | None, case: Case) -> dict[str, Any] | None:
    """The open proposal as text parameters (texts four_eyes.*), or None."""
    if proposal is None:
        return None
    return {
        "move": move_name(proposal, case),
        "amount": proposal.amount,
        "currency": case.currency,
        "note": proposal.note,
        "by": proposal.by,
        "at": proposal.at,
    }


def proposal_buttons(case_no: str) -> ButtonRows:
    """Confirm (a colleague takes the proposed step) or dismiss the proposal."""
    return (
        (
            cb.button("staff.btn.confirm", cb.STAFF_CONFIRM + case_no, case_no=case_no),
            cb.button("staff.btn.dismiss", cb.STAFF_DISMISS + case_no, case_no=case_no),
        ),
    )
