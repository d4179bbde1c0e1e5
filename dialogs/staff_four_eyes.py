"""Four eyes in the staff dialog: a guarded step becomes a proposal that a colleague confirms.

`move_or_propose` is how every staff move runs: a step above the policy's four-eyes amount is
recorded as a proposal (cases/proposals.py) instead, and the staff chat is shown it with the
confirm and dismiss buttons. Each press checks the person and the case again, so a proposal on
a case that moved on cannot be confirmed, and the proposer cannot confirm their own.
"""

from __future__ import annotations

from cases.four_eyes import Proposal, needs_second
from cases.lifecycle import TransitionRefused
from cases.model import Case
from cases.proposals import (
    ProposalProblem,
    ProposalRefused,
    confirm,
    current_proposal,
    dismiss,
    propose,
)
from cases.workflow import Notifier, Outcome
from dialogs.context import Turn
from dialogs.staff_actions import MOVES, Move, load_case, run, say_done, say_refusal
from dialogs.staff_proposal import move_name, proposal_buttons, proposal_params
from dialogs.types import Reply

# The answer to each problem; each literal so the staff texts test finds it.
_PROBLEMS = {
    ProposalProblem.SAME_STAFF: "staff.refused.proposal_same_staff",
    ProposalProblem.ALREADY_OPEN: "staff.refused.proposal_open",
    ProposalProblem.NONE_OPEN: "staff.refused.proposal_none",
}


async def move_or_propose(
    turn: Turn,
    notifier: Notifier,
    case_no: str,
    move: Move,
    *,
    amount: int | None = None,
    note: str = "",
    assignee: int | None = None,
) -> Outcome | None:
    """Makes the move, or records it as a proposal where four eyes apply (None then)."""
    case = await turn.uow.cases.get(case_no)
    if move.full and case is not None:
        amount = case.refund_amount
    if case is None or not needs_second(case, move.action, amount, turn.env.policy):
        return await run(turn, notifier, case_no, move, amount=amount, note=note, assignee=assignee)
    env = turn.env
    try:
        await propose(
            turn.uow,
            env.clock,
            env.policy,
            env.calendar,
            case_no,
            move.action,
            turn.user.user_id,
            amount=amount,
            note=note,
        )
    except TransitionRefused as refused:
        await say_refusal(turn, case_no, move, refused)
        return None
    except ProposalRefused as refused:
        _say_problem(turn, case_no, refused, case)
        return None
    params = {
        "case_no": case_no,
        "limit": env.policy.four_eyes_amount,
        **(proposal_params(await current_proposal(turn.uow, case), case) or {}),
    }
    reply = Reply("four_eyes.proposed", params, proposal_buttons(case_no))
    turn.replies.append(reply)
    staff_chat = env.staff_chat_id
    if staff_chat is not None and staff_chat != turn.user.chat:
        # Proposed in private: the colleagues who may confirm it work in the staff chat.
        key = f"proposal:{case_no}:{turn.now.isoformat()}"
        await turn.uow.outbox.add(staff_chat, reply.to_payload(env.default_locale), turn.now, key)
    return None


async def confirm_press(turn: Turn, notifier: Notifier, case_no: str) -> Outcome | None:
    """Takes the open proposal's step as this staff member; says why not when it cannot be."""
    env = turn.env
    case, proposal = await _load(turn, case_no)
    if case is None:
        return None
    try:
        outcome = await confirm(
            turn.uow, env.clock, env.policy, env.calendar, notifier, case_no, turn.user.user_id
        )
    except ProposalRefused as refused:
        _say_problem(turn, case_no, refused, case)
        return None
    except TransitionRefused as refused:
        # Only a proposal that exists reaches the step itself.
        await say_refusal(turn, case_no, _move_of(proposal, case), refused)
        return None
    say_done(turn, _move_of(proposal, case), outcome)
    return outcome


async def dismiss_press(turn: Turn, case_no: str) -> None:
    """Ends the open proposal unconfirmed and says so."""
    case, proposal = await _load(turn, case_no)
    if case is None:
        return
    try:
        await dismiss(turn.uow, turn.env.clock, case_no, turn.user.user_id)
    except ProposalRefused as refused:
        _say_problem(turn, case_no, refused, case)
        return
    except TransitionRefused as refused:
        await say_refusal(turn, case_no, _move_of(proposal, case), refused)
        return
    params = {"case_no": case_no, **(proposal_params(proposal, case) or {})}
    turn.say_params("four_eyes.dismissed", params)


async def _load(turn: Turn, case_no: str) -> tuple[Case | None, Proposal | None]:
    case = await load_case(turn, case_no)
    if case is None:
        return None, None
    return case, await current_proposal(turn.uow, case)


def _move_of(proposal: Proposal | None, case: Case) -> Move:
    return MOVES[move_name(proposal, case) if proposal is not None else "approve_partial"]


def _say_problem(turn: Turn, case_no: str, refused: ProposalRefused, case: Case) -> None:
    params = {"case_no": case_no, "pending": proposal_params(refused.proposal, case)}
    turn.say_params(_PROBLEMS[refused.problem], params)
