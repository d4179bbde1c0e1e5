"""The merchant contests an instant refund from their chat; staff decide it from the card."""

from __future__ import annotations

import pytest

from cases.lifecycle import Action
from cases.model import CaseStatus
from tests.dialogs.case_support import AGENT, BUYER, MERCHANT, OTHER_MERCHANT, CaseWorld
from tests.fakes.staff import StaffChat

REASON = "卡密已于付款后两分钟发放，后台有完整的发放记录。"


@pytest.fixture
def world() -> CaseWorld:
    return CaseWorld.make()


async def instantly_refunded(world: CaseWorld, *, paid: bool = True) -> str:
    case_no = await world.file()
    await world.act(case_no, Action.INSTANT_REFUND, None, amount=3000)
    if paid:
        await world.act(case_no, Action.CONFIRM_REFUND)
    return case_no


async def test_before_the_refund_is_paid_the_contest_button_says_why_not(world: CaseWorld) -> None:
    case_no = await instantly_refunded(world, paid=False)

    answer = await world.chat(MERCHANT).click(f"mc:con:{case_no}")

    assert answer.keys == ["case.refusal.wrong_status"]
    assert world.case(case_no).status is CaseStatus.REFUND_PENDING


async def test_the_merchant_contests_with_a_reason_and_the_review_reopens(
    world: CaseWorld,
) -> None:
    case_no = await instantly_refunded(world)
    merchant = world.chat(MERCHANT)

    asked = await merchant.click(f"mc:con:{case_no}")
    assert asked.params("merchant.ask_contest")["amount"] == 3000
    short = await merchant.send("已发货")
    assert short.keys == ["merchant.note_too_short"]
    done = await merchant.send(REASON)

    assert done.keys == ["merchant.done.contest"]
    assert world.case(case_no).status is CaseStatus.IN_REVIEW
    assert world.outbox_to(BUYER)[-1].payload["key"] == "notice.buyer.contested"


async def test_another_merchant_cannot_contest(world: CaseWorld) -> None:
    case_no = await instantly_refunded(world)

    answer = await world.chat(OTHER_MERCHANT).click(f"mc:con:{case_no}")

    assert "merchant.done.contest" not in answer.keys
    assert world.case(case_no).status is CaseStatus.REFUNDED


async def test_the_card_of_a_contested_case_offers_only_the_contests_two_outcomes(
    world: CaseWorld,
) -> None:
    case_no = await instantly_refunded(world)
    await world.act(case_no, Action.MERCHANT_CONTEST, MERCHANT, note=REASON)
    agent = StaffChat(world.store, world.env, AGENT)

    card = await agent.send(f"/case {case_no}")
    assert f"st:cth:{case_no}" in card.buttons
    assert f"st:ctf:{case_no}" in card.buttons
    assert f"st:appf:{case_no}" not in card.buttons
    assert f"st:rej:{case_no}" not in card.buttons
    refused = await agent.click(f"st:appf:{case_no}")
    assert refused.keys == ["staff.refusal.contested"]

    answer = await agent.click(f"st:ctf:{case_no}")

    assert answer.keys == ["staff.done.contest_fails"]
    assert world.case(case_no).status is CaseStatus.REFUNDED


async def test_an_ordinary_case_in_review_offers_no_contest_buttons(world: CaseWorld) -> None:
    case_no = await world.file()
    await world.act(case_no, Action.TAKE)

    card = await StaffChat(world.store, world.env, AGENT).send(f"/case {case_no}")

    assert f"st:cth:{case_no}" not in card.buttons
    assert f"st:appf:{case_no}" in card.buttons
