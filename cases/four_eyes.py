"""Four eyes: above an amount set in the policy, a refund or a ruling needs two staff members.

The first press records a proposal (an audited `propose` event that moves nothing); a different
staff member confirms it, which takes the proposed step as that member, or dismisses it. The
proposal lives only in the case's history, so it is as tamper-evident as the rest of it, and it
is void as soon as the case moves on: any later event but a note or an assignment (the state
the proposal judged is gone) ends it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from cases.actions import Action
from cases.audit import is_seal
from cases.model import Case, CaseEvent
from cases.policy import Policy

PROPOSE = "propose"
DISMISS = "dismiss_proposal"
# The steps that decide a case's money: what four eyes guard.
GUARDED = frozenset({Action.APPROVE_REFUND, Action.RULE_FOR_BUYER, Action.RULE_FOR_MERCHANT})
# Events that leave a proposal standing: they change nothing the decision rests on.
_NEUTRAL = frozenset({Action.NOTE.value, Action.ASSIGN.value})


@dataclass(frozen=True)
class Proposal:
    """An open proposal: the step, its amount and note, who proposed it, when, at which event."""

    action: Action
    amount: int | None
    note: str
    by: int
    at: datetime
    seq: int


def at_stake(case: Case, action: Action, amount: int | None) -> int:
    """The money a step decides: the refund it approves, or (ruling against the buyer) the
    refund it refuses."""
    if action is Action.RULE_FOR_MERCHANT or amount is None:
        return case.refund_amount
    return amount


def needs_second(case: Case, action: Action, amount: int | None, policy: Policy) -> bool:
    """Tells whether the step needs a second staff member's confirmation."""
    limit = policy.four_eyes_amount
    return limit is not None and action in GUARDED and at_stake(case, action, amount) > limit


def open_proposal(case: Case, events: Sequence[CaseEvent]) -> Proposal | None:
    """The proposal still open on the case, or None (none made, dismissed, or void)."""
    for event in reversed(events):
        if is_seal(event) or event.action in _NEUTRAL:
            continue
        if event.action != PROPOSE or event.to_status is not case.status:
            return None
        if event.actor_id is None:
            return None
        action = Action(event.extra["proposes"])
        return Proposal(action, event.amount, event.note, event.actor_id, event.at, event.seq)
    return None


def proposal_event(decided: CaseEvent) -> CaseEvent:
    """The `propose` event (not chained yet) for a step decided but not taken: same actor,
    time, amount and note, and the case left where it is."""
    status = decided.from_status or decided.to_status
    extra = {"proposes": decided.action}
    return replace(decided, action=PROPOSE, to_status=status, extra=extra)
