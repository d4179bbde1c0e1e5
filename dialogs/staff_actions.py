"""Staff moves on a case: authorise the person, run the lifecycle, answer what happened.

Every move is checked on every press: the user must be staff now (group membership grants
nothing), and `cases.workflow.perform` re-checks the role and the case's current status, so a
double click, a stale button or forged callback data changes nothing and gets a clear answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cases.lifecycle import Action, Refusal, TransitionRefused, cap_rule, refund_cap, rule_for
from cases.model import ActorKind, Case
from cases.numbering import normalize_case_number
from cases.ports import UnitOfWork
from cases.workflow import CaseNotFound, Notifier, Outcome, actor_for
from dialogs.context import Turn

STAFF_ROLES = ("agent", "arbitrator", "admin")
_STAFF_KINDS = frozenset({ActorKind.AGENT, ActorKind.ARBITRATOR, ActorKind.ADMIN})


class Input(StrEnum):
    """What a move needs besides the press: nothing, a text, or an amount."""

    NONE = "none"
    TEXT = "text"
    AMOUNT = "amount"


@dataclass(frozen=True)
class Move:
    """One staff move: the lifecycle action, what it asks for, and its name in texts/pending."""

    name: str
    action: Action
    needs: Input = Input.NONE
    full: bool = False  # approve exactly what the buyer asked for


MOVES: dict[str, Move] = {
    move.name: move
    for move in (
        Move("take", Action.TAKE),
        Move("assign", Action.ASSIGN),
        Move("request", Action.REQUEST_EVIDENCE, Input.TEXT),
        Move("merchant", Action.SEND_TO_MERCHANT),
        Move("approve_full", Action.APPROVE_REFUND, full=True),
        Move("approve_partial", Action.APPROVE_REFUND, Input.AMOUNT),
        Move("reject", Action.REJECT, Input.TEXT),
        Move("rule_buyer", Action.RULE_FOR_BUYER, Input.AMOUNT),
        Move("rule_merchant", Action.RULE_FOR_MERCHANT, Input.TEXT),
        Move("paid", Action.CONFIRM_REFUND),
        Move("note", Action.NOTE, Input.TEXT),
        Move("contest_holds", Action.UPHOLD_CONTEST, Input.TEXT),
        Move("contest_fails", Action.DISMISS_CONTEST),
        Move("assess", Action.SEND_TO_ASSESSMENT, Input.TEXT),
        Move("assessed", Action.RECORD_ASSESSMENT, Input.TEXT),
    )
}

# A note, reason or request longer than this is not one message's worth of explanation.
TEXT_LIMIT = 1000


async def role_of(uow: UnitOfWork, user_id: int) -> str | None:
    """The user's staff role now, or None; read on every press, never remembered."""
    role = await uow.staff.role_of(user_id)
    return role if role in STAFF_ROLES else None


async def staff_or_refuse(turn: Turn) -> str | None:
    """Returns the user's role, or says they are not staff and returns None."""
    role = await role_of(turn.uow, turn.user.user_id)
    if role is None:
        turn.say("staff.refused.not_staff")
    return role


def parse_case_no(turn: Turn, text: str) -> str | None:
    """Returns the case number in `text`, or says it is none and returns None."""
    case_no = normalize_case_number(text.strip())
    if case_no is None:
        turn.say("staff.refused.bad_case_no", text=text.strip()[:40])
    return case_no


async def load_case(turn: Turn, case_no: str) -> Case | None:
    case = await turn.uow.cases.get(case_no)
    if case is None:
        turn.say("staff.refused.not_found", case_no=case_no)
    return case


async def precheck(turn: Turn, case: Case, move: Move) -> bool:
    """Before asking for a text or an amount: would the lifecycle let this user do it now?

    Saves a staff member typing a reason for a case that has moved on; the move itself is
    checked again when the answer comes.
    """
    try:
        await actor_for(turn.uow, case, move.action, turn.user.user_id)
        if case.status not in rule_for(move.action).sources:
            raise TransitionRefused(Refusal.WRONG_STATUS, case.status)
    except TransitionRefused as refused:
        await say_refusal(turn, case.case_no, move, refused)
        return False
    return True


async def run(
    turn: Turn,
    notifier: Notifier,
    case_no: str,
    move: Move,
    *,
    amount: int | None = None,
    note: str = "",
    assignee: int | None = None,
) -> Outcome | None:
    """Makes the move as the turn's user and says the result; None (after saying why) if refused."""
    if move.full:
        case = await turn.uow.cases.get(case_no)
        amount = case.refund_amount if case is not None else None
    try:
        outcome = await turn.perform(
            notifier, case_no, move.action, amount=amount, note=note, assignee=assignee
        )
    except CaseNotFound:
        turn.say("staff.refused.not_found", case_no=case_no)
        return None
    except TransitionRefused as refused:
        await say_refusal(turn, case_no, move, refused)
        return None
    say_done(turn, move, outcome)
    return outcome


def say_done(turn: Turn, move: Move, outcome: Outcome) -> None:
    """Says what the move did: the case's new status, the amount, the assignee, the deadline."""
    after = outcome.after
    turn.say(
        f"staff.done.{move.name}",
        case_no=after.case_no,
        status=after.status.value,
        amount=outcome.event.amount,
        currency=after.currency,
        assignee=after.assignee_id,
        deadline=after.next_deadline_at,
    )


async def say_refusal(turn: Turn, case_no: str, move: Move, refused: TransitionRefused) -> None:
    """Tells exactly why nothing changed: the role, the status, the cap, the missing input."""
    refusal = refused.refusal
    params: dict[str, Any] = {
        "case_no": case_no,
        "status": refused.status.value,
        "move": move.name,
    }
    if refusal is Refusal.NOT_ALLOWED_FOR_ROLE:
        params["role"] = await role_of(turn.uow, turn.user.user_id) or ""
        params["roles"] = [
            kind.value for kind in _ordered(rule_for(move.action).actors & _STAFF_KINDS)
        ]
    case = await turn.uow.cases.get(case_no)
    if refusal is Refusal.AMOUNT_OVER_CAP and case is not None:
        params["cap"] = refund_cap(case, turn.env.policy)
        params["cap_rule"] = cap_rule(case, turn.env.policy)
        params["currency"] = case.currency
    if refusal is Refusal.WRONG_STATUS:
        # "Take" pressed on a case someone already works: say who, so no one takes it twice.
        params["assignee"] = case.assignee_id if case is not None else None
        params["mine"] = case is not None and case.assignee_id == turn.user.user_id
    turn.say_params(f"staff.refusal.{refusal.value}", params)


def _ordered(kinds: frozenset[ActorKind]) -> list[ActorKind]:
    return [ActorKind(role) for role in STAFF_ROLES if ActorKind(role) in kinds]


def is_refusal(key: str) -> bool:
    """Tells whether a reply key says a press or command changed nothing (for an alert)."""
    return key.startswith(("staff.refusal.", "staff.refused."))
