"""Four eyes: above the policy's amount a refund or a ruling needs a second staff member."""

from __future__ import annotations

import pytest

from cases.four_eyes import PROPOSE, needs_second
from cases.lifecycle import Action, Refusal, TransitionRefused
from cases.model import CaseStatus
from cases.policy import Policy
from cases.proposals import ProposalProblem, ProposalRefused, confirm, dismiss, propose
from tests.fakes.lifecycle import ADMIN, AGENT, ARBITRATOR, CALENDAR, World, make_case
from tests.fakes.uow import FakeUnitOfWork

LIMIT = Policy(four_eyes_amount=2000)  # the case asks for 30.00
OTHER_AGENT = 2002


async def world_in_review() -> World:
    world = World(LIMIT)
    world.store.staff[OTHER_AGENT] = "agent"
    await world.file()
    await world.act(Action.TAKE, AGENT)
    return world


async def propose_as(world: World, user: int, action: Action, **given: object) -> None:
    async with FakeUnitOfWork(world.store) as uow:
        await propose(
            uow, world.clock, world.policy, CALENDAR, world.case_no, action, user, **given
        )
        await uow.commit()


async def confirm_as(world: World, user: int) -> None:
    async with FakeUnitOfWork(world.store) as uow:
        await confirm(
            uow, world.clock, world.policy, CALENDAR, world.notifier, world.case_no, user
        )
        await uow.commit()


def test_only_steps_over_the_amount_need_a_second_staff_member() -> None:
    case = make_case(refund_amount=3000)
    assert needs_second(case, Action.APPROVE_REFUND, 3000, LIMIT)
    assert not needs_second(case, Action.APPROVE_REFUND, 2000, LIMIT)  # at the amount: one
    assert needs_second(case, Action.RULE_FOR_MERCHANT, None, LIMIT)  # refuses 30.00
    assert not needs_second(case, Action.REJECT, None, LIMIT)
    assert not needs_second(case, Action.APPROVE_REFUND, 3000, Policy())  # off by default


async def test_one_staff_member_alone_cannot_approve_over_the_amount() -> None:
    world = await world_in_review()
    with pytest.raises(TransitionRefused) as refused:
        await world.act(Action.APPROVE_REFUND, AGENT, amount=3000)
    assert refused.value.refusal is Refusal.SECOND_STAFF_REQUIRED
    assert world.case.status is CaseStatus.IN_REVIEW


async def test_a_colleague_confirms_the_proposal_and_the_chain_names_both() -> None:
    world = await world_in_review()
    await propose_as(world, AGENT, Action.APPROVE_REFUND, amount=3000)
    assert world.case.status is CaseStatus.IN_REVIEW
    await confirm_as(world, OTHER_AGENT)
    assert world.case.status is CaseStatus.REFUND_PENDING
    proposal, decision = world.store.events[world.case_no][-2:]
    assert (proposal.action, proposal.actor_id, proposal.amount) == (PROPOSE, AGENT, 3000)
    assert proposal.extra["proposes"] == "approve_refund"
    assert (decision.action, decision.actor_id) == ("approve_refund", OTHER_AGENT)
    assert decision.extra["proposed_by"] == str(AGENT)
    assert decision.prev_hash == proposal.hash  # both in the audit chain


async def test_the_proposer_cannot_confirm_nor_propose_again() -> None:
    world = await world_in_review()
    await propose_as(world, AGENT, Action.APPROVE_REFUND, amount=3000)
    with pytest.raises(ProposalRefused) as same:
        await confirm_as(world, AGENT)
    assert same.value.problem is ProposalProblem.SAME_STAFF
    with pytest.raises(ProposalRefused) as again:
        await propose_as(world, AGENT, Action.APPROVE_REFUND, amount=3000)
    assert again.value.problem is ProposalProblem.SAME_STAFF
    with pytest.raises(ProposalRefused) as other:
        await propose_as(world, OTHER_AGENT, Action.APPROVE_REFUND, amount=2500)
    assert other.value.problem is ProposalProblem.ALREADY_OPEN
    assert world.case.status is CaseStatus.IN_REVIEW


async def test_a_proposal_on_a_case_that_moved_on_is_void() -> None:
    world = await world_in_review()
    await propose_as(world, AGENT, Action.APPROVE_REFUND, amount=3000)
    await world.act(Action.NOTE, ADMIN, note="看过了")  # a note leaves it standing
    await world.act(Action.SEND_TO_MERCHANT, AGENT)
    with pytest.raises(ProposalRefused) as void:
        await confirm_as(world, OTHER_AGENT)
    assert void.value.problem is ProposalProblem.NONE_OPEN
    assert world.case.status is CaseStatus.AWAITING_MERCHANT


async def test_a_proposal_is_decided_in_full_before_it_is_recorded() -> None:
    world = await world_in_review()
    with pytest.raises(TransitionRefused) as over:
        await propose_as(world, AGENT, Action.APPROVE_REFUND, amount=9000)
    assert over.value.refusal is Refusal.AMOUNT_OVER_CAP
    with pytest.raises(TransitionRefused) as role:
        await propose_as(world, ARBITRATOR, Action.APPROVE_REFUND, amount=3000)
    assert role.value.refusal is Refusal.NOT_ALLOWED_FOR_ROLE
    assert [event.action for event in world.store.events[world.case_no]][-1] == "take"


async def test_a_dismissed_proposal_cannot_be_confirmed() -> None:
    world = await world_in_review()
    await propose_as(world, AGENT, Action.APPROVE_REFUND, amount=3000)
    async with FakeUnitOfWork(world.store) as uow:
        await dismiss(uow, world.clock, world.case_no, OTHER_AGENT)
        await uow.commit()
    with pytest.raises(ProposalRefused):
        await confirm_as(world, OTHER_AGENT)
    assert world.store.events[world.case_no][-1].action == "dismiss_proposal"
