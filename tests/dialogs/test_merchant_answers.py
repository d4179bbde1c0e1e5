"""A merchant answers a complaint about their order: full refund, partial offer, or a no."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from cases.lifecycle import Action
from cases.model import CaseStatus
from cases.policy import Policy
from dialogs.types import FileReply
from tests.dialogs.case_support import BUYER, MERCHANT, CaseWorld
from tests.fakes.chat import photo

EXPLANATION = "卡密已于付款后两分钟发出，买家已经使用过，后台有兑换记录。"


@pytest.fixture
def world() -> CaseWorld:
    return CaseWorld.make()


async def test_accepting_a_full_refund_approves_what_the_buyer_asked_for(
    world: CaseWorld,
) -> None:
    case_no = await world.with_merchant()
    answer = await world.chat(MERCHANT).click(f"mc:acc:{case_no}")
    assert answer.keys == ["merchant.done.accept"]
    assert answer.params("merchant.done.accept")["amount"] == 3000
    case = world.case(case_no)
    assert (case.status, case.approved_amount) == (CaseStatus.REFUND_PENDING, 3000)
    assert [row.payload["key"] for row in world.outbox_to(BUYER)][-1] == (
        "notice.buyer.merchant_accepted"
    )


async def test_an_offer_asks_for_the_amount_and_takes_the_next_message(world: CaseWorld) -> None:
    case_no = await world.with_merchant()
    merchant = world.chat(MERCHANT)
    asked = await merchant.click(f"mc:off:{case_no}")
    assert asked.params("merchant.ask_offer")["requested"] == 3000
    answer = await merchant.send("¥12.50")
    assert answer.params("merchant.done.offer")["amount"] == 1250
    case = world.case(case_no)
    assert (case.status, case.offer_amount) == (CaseStatus.NEGOTIATING, 1250)
    assert world.outbox_to(BUYER)[-1].payload["key"] == "notice.buyer.offer_made"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("twelve", "merchant.amount_invalid"),
        ("12.345", "merchant.amount_invalid"),
        ("0", "merchant.amount_not_positive"),
        ("-5", "merchant.amount_not_positive"),
        ("30", "merchant.amount_not_below_request"),
        ("45.00", "merchant.amount_not_below_request"),
    ],
)
async def test_a_wrong_amount_is_explained_and_asked_again(
    world: CaseWorld, text: str, key: str
) -> None:
    case_no = await world.with_merchant()
    merchant = world.chat(MERCHANT)
    await merchant.click(f"mc:off:{case_no}")
    answer = await merchant.send(text)
    assert answer.keys == [key]
    assert world.case(case_no).status is CaseStatus.AWAITING_MERCHANT
    retried = await merchant.send("10")
    assert retried.keys == ["merchant.done.offer"]


async def test_an_offer_over_the_refund_cap_is_refused_with_the_cap(world: CaseWorld) -> None:
    # Filed for the whole 100.00; the operator has since capped refunds at half the order.
    case_no = await world.with_merchant("A1002")
    world.env = replace(world.env, policy=Policy(refund_cap_ratio=Decimal("0.5")))
    merchant = world.chat(MERCHANT)
    asked = await merchant.click(f"mc:off:{case_no}")
    assert asked.params("merchant.ask_offer")["cap"] == 5000
    rule = "按平台规则，单笔退款不超过订单金额的 50%，本订单最多可退 50.00 元。"
    assert rule in asked.text()
    answer = await merchant.send("60")
    assert answer.keys == ["merchant.amount_over_cap"]
    assert answer.params("merchant.amount_over_cap")["cap"] == 5000
    assert rule in answer.text()
    assert "one refund is at most 50% of the order amount" in answer.text("en")
    assert world.case(case_no).status is CaseStatus.AWAITING_MERCHANT


async def test_a_refusal_needs_a_real_explanation(world: CaseWorld) -> None:
    case_no = await world.with_merchant()
    merchant = world.chat(MERCHANT)
    asked = await merchant.click(f"mc:rej:{case_no}")
    assert asked.params("merchant.ask_reject") == {"case_no": case_no, "min": 10, "max": 1000}
    short = await merchant.send("不退")
    assert short.keys == ["merchant.note_too_short"]
    long = await merchant.send("很" * 1001)
    assert long.keys == ["merchant.note_too_long"]
    answer = await merchant.send(EXPLANATION)
    assert answer.keys == ["merchant.done.reject"]
    case = world.case(case_no)
    assert (case.status, case.offer_declined) == (CaseStatus.NEGOTIATING, True)
    assert world.store.events[case_no][-1].note == EXPLANATION
    notice = world.outbox_to(BUYER)[-1].payload
    assert notice["key"] == "notice.buyer.merchant_rejected"
    assert notice["params"]["note"] == EXPLANATION


async def test_a_file_or_sticker_instead_of_the_amount_is_asked_again(world: CaseWorld) -> None:
    case_no = await world.with_merchant()
    merchant = world.chat(MERCHANT)
    await merchant.click(f"mc:off:{case_no}")
    assert (await merchant.upload(photo(7))).keys == ["merchant.expect_amount"]
    assert (await merchant.other("sticker")).keys == ["merchant.expect_amount"]
    assert (await merchant.send("8.80")).keys == ["merchant.done.offer"]


async def test_cancel_drops_the_question_and_a_later_number_is_not_an_offer(
    world: CaseWorld,
) -> None:
    case_no = await world.with_merchant()
    merchant = world.chat(MERCHANT)
    await merchant.click(f"mc:off:{case_no}")
    assert (await merchant.send("/cancel")).keys == ["side.input_dropped"]
    await merchant.send("10")
    assert world.case(case_no).status is CaseStatus.AWAITING_MERCHANT


async def test_the_question_survives_a_restart(world: CaseWorld) -> None:
    case_no = await world.with_merchant()
    await world.chat(MERCHANT).click(f"mc:rej:{case_no}")
    answer = await world.chat(MERCHANT).restart().send(EXPLANATION)
    assert answer.keys == ["merchant.done.reject"]


async def test_a_second_press_after_answering_changes_nothing_and_says_why(
    world: CaseWorld,
) -> None:
    case_no = await world.with_merchant()
    merchant = world.chat(MERCHANT)
    await merchant.click(f"mc:acc:{case_no}")
    events = len(world.store.events[case_no])
    for press in (f"mc:acc:{case_no}", f"mc:off:{case_no}", f"mc:rej:{case_no}"):
        answer = await merchant.click(press)
        assert answer.keys == ["case.refusal.wrong_status"]
    assert len(world.store.events[case_no]) == events
    # No question was left open by the refused presses.
    assert (await merchant.send("10")).keys != ["merchant.done.offer"]


async def test_the_case_moving_on_while_the_merchant_types_is_caught(world: CaseWorld) -> None:
    case_no = await world.with_merchant()
    merchant = world.chat(MERCHANT)
    await merchant.click(f"mc:off:{case_no}")
    await world.act(case_no, Action.APPROVE_REFUND, amount=3000)
    answer = await merchant.send("10")
    assert answer.keys == ["case.refusal.wrong_status"]
    assert world.case(case_no).offer_amount is None


async def test_the_merchant_reads_the_complaint_without_the_buyers_contact_data(
    world: CaseWorld,
) -> None:
    case_no = await world.with_merchant()
    answer = await world.chat(MERCHANT).send(f"/status {case_no}")
    params = answer.params("merchant.case")
    assert params["description"].startswith("付款后")
    assert params["evidence_count"] == 1
    assert params["requested"] == 3000
    for locale in ("zh_CN", "en"):
        text = answer.text(locale)
        assert str(BUYER) not in text
        assert f"user{BUYER}" not in text  # the buyer's Telegram username
        assert "Buyer_One" not in text  # the buyer's platform account
    assert answer.buttons[:3] == [f"mc:acc:{case_no}", f"mc:off:{case_no}", f"mc:rej:{case_no}"]


async def test_the_evidence_button_re_sends_the_buyers_files(world: CaseWorld) -> None:
    case_no = await world.with_merchant()
    answer = await world.chat(MERCHANT).click(f"mc:ev:{case_no}")
    [file] = answer
    assert isinstance(file, FileReply)
    assert (file.file_kind, file.file_id) == ("photo", "photo-1")
    assert file.params["index"] == 1
