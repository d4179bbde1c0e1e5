"""What each party hears of an instant refund and of the merchant's contest of it.

The buyer is told the truth at every step: the refund was approved by a rule, when the money
comes, that the merchant may contest, and that a contest never takes the money back from them;
an upheld contest only counts the case as rejected (cases/contest.py). The merchant hears how to
contest and what an upheld contest gives them; staff hear the rule with the inputs it read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from cases.lifecycle import Action
from cases.policy import Policy
from dialogs import callbacks as cb
from dialogs.notices_buyer import buyer_buttons
from dialogs.notices_common import Facts, base_params, btn
from dialogs.notices_staff import payout_buttons
from dialogs.types import Reply

INSTANT_ACTIONS: Final = frozenset(
    {
        Action.INSTANT_REFUND,
        Action.MERCHANT_CONTEST,
        Action.UPHOLD_CONTEST,
        Action.DISMISS_CONTEST,
    }
)
_NAMES: Final = {
    Action.INSTANT_REFUND: "instant_refund",
    Action.MERCHANT_CONTEST: "contested",
    Action.UPHOLD_CONTEST: "contest_upheld",
    Action.DISMISS_CONTEST: "contest_dismissed",
}


@dataclass(frozen=True)
class InstantReplies:
    buyer: Reply | None
    merchant: Reply | None
    staff: Reply | None


def _params(facts: Facts, policy: Policy) -> dict[str, Any]:
    case, event = facts.after, facts.event
    return {
        **base_params(facts),
        "approved": facts.approved,
        "refund_method": case.refund_method.value,
        "reason": case.reason.value,
        "basis": event.extra.get("basis", ""),
        "refund_days": policy.refund_working_days,
        "contest_days": policy.instant_contest_working_days,
        "standing_days": policy.instant_refund_rejected_days,
        "note": event.note,
    }


def instant_replies(facts: Facts, policy: Policy, *, manual_payout: bool) -> InstantReplies:
    """The three audiences' notices of one instant refund step (None: that party hears nothing)."""
    action = facts.action
    if action is None or action not in INSTANT_ACTIONS:
        raise ValueError(f"not an instant refund step: {facts.event.action}")
    name, params = _NAMES[action], _params(facts, policy)
    n = facts.after.case_no
    card = ((btn("card", cb.STAFF_CARD, n),),)
    staff: Reply | None = None
    if action is Action.INSTANT_REFUND:
        inputs = {key: facts.event.extra.get(key, "") for key in _STAFF_INPUTS}
        staff = Reply(
            "notice.staff.instant_refund",
            {**params, **inputs, "manual": manual_payout},
            payout_buttons(n) if manual_payout else card,
        )
    elif action is Action.MERCHANT_CONTEST:
        staff = Reply(
            "notice.staff.contested",
            params,
            (
                (btn("card", cb.STAFF_CARD, n), btn("view_evidence", cb.STAFF_EVIDENCE, n)),
                (
                    btn("contest_holds", cb.STAFF_CONTEST_HOLDS, n),
                    btn("contest_fails", cb.STAFF_CONTEST_FAILS, n),
                ),
            ),
        )
    # The merchant's own contest is answered in their chat (merchant.done.contest).
    merchant = (
        None if action is Action.MERCHANT_CONTEST else Reply(f"notice.merchant.{name}", params)
    )
    buyer = Reply(f"notice.buyer.{name}", params, buyer_buttons(facts.after))
    return InstantReplies(buyer, merchant, staff)


_STAFF_INPUTS: Final = (
    "limit",
    "rejected_days",
    "rejected_recently",
    "open_others",
    "max_open_cases",
    "account_days",
    "account_first_paid_at",
    "delivered_at",
    "code_redeemed_at",
    "paid_at",
)


def instant_paid_reply(case_no: str, facts: Facts, until: datetime, policy: Policy) -> Reply:
    """Tells the merchant the instant refund was paid, and until when they may contest it."""
    params = {**_params(facts, policy), "until": until}
    return Reply(
        "notice.merchant.instant_paid", params, ((btn("m_contest", cb.MERCHANT_CONTEST, case_no),),)
    )
