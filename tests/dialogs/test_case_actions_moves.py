"""The buyer answers the merchant's offer, escalates, withdraws, and takes the case file along."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cases.lifecycle import Action
from cases.model import CaseStatus
from tests.dialogs.case_support import ARBITRATOR, BUYER, MERCHANT, STRANGER, CaseWorld
from tests.fakes.chat import Chat, translator

SECRET = "内部：该买家疑似职业索赔，注意核实"
MERCHANT_REASON = "卡密已于付款后两分钟发出，买家已经使用过。"


@pytest.fixture
def world() -> CaseWorld:
    return CaseWorld.make()


@pytest.fixture
def buyer(world: CaseWorld) -> Chat:
    return world.chat(BUYER)


async def offered(world: CaseWorld, amount: int = 1500) -> str:
    case_no = await world.with_merchant()
    await world.act(case_no, Action.MERCHANT_OFFER, MERCHANT, amount=amount)
    return case_no


async def refused(world: CaseWorld) -> str:
    case_no = await world.with_merchant()
    await world.act(case_no, Action.MERCHANT_REJECT, MERCHANT, note=MERCHANT_REASON)
    return case_no


async def test_accepting_the_offer_approves_its_amount(world: CaseWorld, buyer: Chat) -> None:
    case_no = await offered(world)
    answer = await buyer.click(f"b:acc:{case_no}")
    assert answer.keys == ["notice.buyer.offer_accepted"]
    case = world.case(case_no)
    assert (case.status, case.approved_amount) == (CaseStatus.REFUND_PENDING, 1500)
    # The merchant hears of it; the buyer's own notice was the answer, not queued again.
    assert world.outbox_to(MERCHANT)[-1].payload["key"] == "notice.merchant.offer_accepted"
    assert world.outbox_to(BUYER)[-1].payload["key"] == "notice.buyer.offer_made"


async def test_declining_then_escalating_takes_the_case_to_arbitration(
    world: CaseWorld, buyer: Chat
) -> None:
    case_no = await offered(world)
    declined = await buyer.click(f"b:dec:{case_no}")
    assert f"b:esc:{case_no}" in declined.buttons
    escalated = await buyer.click(f"b:esc:{case_no}")
    assert escalated.keys == ["notice.buyer.escalated"]
    assert world.case(case_no).status is CaseStatus.IN_ARBITRATION


async def test_escalating_before_declining_the_offer_says_to_decline_first(
    world: CaseWorld, buyer: Chat
) -> None:
    case_no = await offered(world)
    answer = await buyer.click(f"b:esc:{case_no}")
    assert answer.keys == ["case.refusal.offer_not_declined"]
    assert world.case(case_no).status is CaseStatus.NEGOTIATING


async def test_escalating_after_the_window_is_refused(world: CaseWorld, buyer: Chat) -> None:
    case_no = await refused(world)
    world.clock.advance(timedelta(days=world.env.policy.escalation_days + 1))
    answer = await buyer.click(f"b:esc:{case_no}")
    assert answer.keys == ["case.refusal.window_closed"]
    assert world.case(case_no).status is CaseStatus.NEGOTIATING


async def test_an_offer_answered_twice_changes_nothing_the_second_time(
    world: CaseWorld, buyer: Chat
) -> None:
    case_no = await offered(world)
    await buyer.click(f"b:acc:{case_no}")
    events = len(world.store.events[case_no])
    assert (await buyer.click(f"b:dec:{case_no}")).keys == ["case.refusal.wrong_status"]
    assert len(world.store.events[case_no]) == events


async def test_declining_a_refusal_there_is_no_offer_to_answer(
    world: CaseWorld, buyer: Chat
) -> None:
    case_no = await refused(world)
    assert (await buyer.click(f"b:acc:{case_no}")).keys == ["case.refusal.no_offer"]


async def test_withdrawing_asks_to_confirm_first(world: CaseWorld, buyer: Chat) -> None:
    case_no = await world.file()
    asked = await buyer.click(f"b:wd:{case_no}")
    assert asked.keys == ["case.confirm_withdraw"]
    assert asked.buttons == [f"b:wdy:{case_no}", f"s:{case_no}"]
    assert world.case(case_no).status is CaseStatus.SUBMITTED
    kept = await buyer.click(f"s:{case_no}")
    assert kept.keys == ["status.case"]
    done = await buyer.click(f"b:wdy:{case_no}")
    assert done.keys == ["notice.buyer.withdrawn"]
    assert world.case(case_no).status is CaseStatus.WITHDRAWN
    again = await buyer.click(f"b:wdy:{case_no}")
    assert again.keys == ["case.refusal.wrong_status"]


async def test_a_decided_case_cannot_be_withdrawn(world: CaseWorld, buyer: Chat) -> None:
    case_no = await world.with_merchant()
    await world.act(case_no, Action.MERCHANT_ACCEPT, MERCHANT)
    answer = await buyer.click(f"b:wd:{case_no}")
    assert answer.params("case.refusal.wrong_status")["status"] == "refund_pending"


@pytest.mark.parametrize("prefix", ["b:acc:", "b:dec:", "b:esc:", "b:wd:", "b:wdy:", "b:file:"])
async def test_only_the_buyer_acts_and_others_get_the_unknown_number_answer(
    world: CaseWorld, prefix: str
) -> None:
    case_no = await offered(world)
    for user in (STRANGER, MERCHANT):
        answer = await world.chat(user).click(prefix + case_no)
        assert answer.keys == ["status.not_found"]
    assert world.case(case_no).status is CaseStatus.NEGOTIATING


@pytest.mark.parametrize("data", ["b:acc:nonsense", "b:zzz:TS20261125-AAAAA", "b:"])
async def test_a_garbled_button_is_stale(buyer: Chat, data: str) -> None:
    assert (await buyer.click(data)).keys == ["error.stale_button"]


async def test_the_case_file_shows_the_history_without_internal_notes(
    world: CaseWorld, buyer: Chat
) -> None:
    case_no = await refused(world)
    await world.act(case_no, Action.NOTE, note=SECRET)
    await buyer.click(f"b:esc:{case_no}")
    await world.act(case_no, Action.RULE_FOR_MERCHANT, ARBITRATOR, note="商家提供了兑换记录")
    answer = await buyer.click(f"b:file:{case_no}")
    assert answer.keys == ["case.file.header", "case.file.timeline", "case.file.footer"]
    for locale in ("zh_CN", "en"):
        text = answer.text(locale)
        assert SECRET not in text
        assert MERCHANT_REASON in text
        assert "12315" in text  # ruled against the buyer: the outside channels
        assert str(BUYER) not in text
    actions = [event["action"] for event in answer.params("case.file.timeline")["events"]]
    assert "note" not in actions
    assert actions[0] == "submit"
    assert actions[-2:] == ["escalate", "rule_for_merchant"]
    digest = world.store.events[case_no][-1].hash[:16]
    assert answer.params("case.file.footer") == {
        "digest": digest, "against_buyer": True, "reason": "not_delivered"
    }


async def test_the_case_file_of_a_refunded_case_does_not_send_the_buyer_elsewhere(
    world: CaseWorld, buyer: Chat
) -> None:
    case_no = await world.with_merchant()
    await world.act(case_no, Action.MERCHANT_ACCEPT, MERCHANT)
    answer = await buyer.click(f"b:file:{case_no}")
    footer = answer.one("case.file.footer")
    assert footer.params["against_buyer"] is False
    assert "12315" not in translator().render("zh_CN", footer.key, footer.params)


async def test_a_long_history_is_split_into_messages_that_fit(
    world: CaseWorld, buyer: Chat
) -> None:
    case_no = await world.file()
    await world.act(case_no, Action.TAKE)
    for round_ in range(4):
        await world.act(case_no, Action.REQUEST_EVIDENCE, note="请补充" + "截图" * 450)
        await buyer.click(f"b:ev:{case_no}")
        await buyer.send("/cancel")
        world.clock.advance(timedelta(days=4))
        await world.act(case_no, Action.EVIDENCE_TIMEOUT, None)
        assert world.case(case_no).status is CaseStatus.IN_REVIEW, round_
    answer = await buyer.click(f"b:file:{case_no}")
    parts = [reply for reply in answer if reply.key == "case.file.timeline"]
    assert len(parts) > 1
    assert [part.params["part"] for part in parts] == list(range(1, len(parts) + 1))
    for part in parts:
        for locale in ("zh_CN", "en"):
            assert len(translator().render(locale, part.key, part.params)) < 4096
