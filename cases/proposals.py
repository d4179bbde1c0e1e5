"""Proposing, confirming and dismissing a four-eyes step (cases/four_eyes.py), in a unit of work.

Each checks the person and the case as they are now: a proposal is decided in full (role,
status, note, amount, cap) before it is recorded, and a confirmation takes the step through
`perform`, which decides it again on the case's current state. None commits.
"""

from __future__ import annotations

from enum import StrEnum

from cases.actions import Action
from cases.calendar import WorkingCalendar
from cases.clock import Clock
from cases.four_eyes import DISMISS, Proposal, open_proposal, proposal_event
from cases.history import record
from cases.lifecycle import decide
from cases.model import Case, CaseEvent
from cases.policy import Policy
from cases.ports import UnitOfWork
from cases.workflow import CaseNotFound, Notifier, Outcome, actor_for, perform


class ProposalProblem(StrEnum):
    SAME_STAFF = "same_staff"  # the proposer cannot be the second pair of eyes
    ALREADY_OPEN = "already_open"  # another proposal waits: confirm or dismiss it first
    NONE_OPEN = "none_open"  # nothing to confirm: never proposed, dismissed, or void


class ProposalRefused(Exception):
    """Nothing was changed; `proposal` is the open one, if any."""

    def __init__(self, problem: ProposalProblem, proposal: Proposal | None) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.proposal = proposal


async def _case(uow: UnitOfWork, case_no: str) -> Case:
    case = await uow.cases.get(case_no)
    if case is None:
        raise CaseNotFound(case_no)
    return case


async def current_proposal(uow: UnitOfWork, case: Case) -> Proposal | None:
    """The case's open proposal, read from its history."""
    return open_proposal(case, await uow.events.list(case.case_no))


async def propose(
    uow: UnitOfWork,
    clock: Clock,
    policy: Policy,
    calendar: WorkingCalendar,
    case_no: str,
    action: Action,
    user_id: int,
    *,
    amount: int | None = None,
    note: str = "",
) -> CaseEvent:
    """Records `user_id`'s proposal to take `action`; raises TransitionRefused when the step
    itself is not allowed now, ProposalRefused when a proposal is open already."""
    case = await _case(uow, case_no)
    actor = await actor_for(uow, case, action, user_id)
    decided = decide(case, action, actor, clock.now(), policy, calendar, amount=amount, note=note)
    current = await current_proposal(uow, case)
    if current is not None:
        mine = current.by == user_id
        problem = ProposalProblem.SAME_STAFF if mine else ProposalProblem.ALREADY_OPEN
        raise ProposalRefused(problem, current)
    return await record(uow, case, proposal_event(decided.event))


async def confirm(
    uow: UnitOfWork,
    clock: Clock,
    policy: Policy,
    calendar: WorkingCalendar,
    notifier: Notifier,
    case_no: str,
    user_id: int,
) -> Outcome:
    """Takes the open proposal's step as `user_id`, a staff member other than the proposer."""
    case = await _case(uow, case_no)
    proposal = await current_proposal(uow, case)
    if proposal is None:
        raise ProposalRefused(ProposalProblem.NONE_OPEN, None)
    if proposal.by == user_id:
        raise ProposalRefused(ProposalProblem.SAME_STAFF, proposal)
    return await perform(
        uow,
        clock,
        policy,
        calendar,
        notifier,
        case_no,
        proposal.action,
        user_id,
        amount=proposal.amount,
        note=proposal.note,
        confirms=proposal,
    )


async def dismiss(uow: UnitOfWork, clock: Clock, case_no: str, user_id: int) -> Proposal:
    """Ends the open proposal unconfirmed (the proposer may withdraw it too); returns it."""
    case = await _case(uow, case_no)
    proposal = await current_proposal(uow, case)
    if proposal is None:
        raise ProposalRefused(ProposalProblem.NONE_OPEN, None)
    # Who may dismiss is who could have taken the step: the same roles, checked now.
    actor = await actor_for(uow, case, proposal.action, user_id)
    event = CaseEvent(
        case_no=case.case_no,
        seq=0,
        at=clock.now(),
        actor_kind=actor.kind,
        actor_id=user_id,
        action=DISMISS,
        from_status=case.status,
        to_status=case.status,
        amount=proposal.amount,
        extra={"proposes": proposal.action.value, "proposal_seq": str(proposal.seq)},
    )
    await record(uow, case, event)
    return proposal
