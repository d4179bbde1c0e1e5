"""Staff work cases in the staff group through the real dispatcher, rendered and sent over HTTP."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cases.model import CaseStatus, Order, OrderStatus
from sandbox.botapi import FakeBotAPI
from tests.bot.harness import BotHarness, Person, bot_harness
from tests.bot.outbox_support import VirtualTime, deliver_all, make_sender

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # Thursday 11:00 in Shanghai
STAFF_GROUP = -1009876543210
AGENT, ARBITRATOR, OUTSIDER, BUYER = 3001, 3002, 3999, 1001
CASE_NO = re.compile(r"TS\d{8}-[0-9A-HJKMNP-TV-Z]{5}")
PHOTO = b"\xff\xd8\xff\xe0 fake jpeg bytes of a payment screenshot"


def order() -> Order:
    return Order(
        order_no="KM202611250001",
        buyer_account="lihua_88",
        merchant_code="M1001",
        product="Steam 充值卡 100元",
        category="game_card",
        amount=10000,
        currency="CNY",
        paid_at=NOW - timedelta(days=1),
        delivered_at=NOW - timedelta(days=1) + timedelta(minutes=2),
        status=OrderStatus.DELIVERED,
    )


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI):  # type: ignore[no-untyped-def]
    async with bot_harness(tmp_path, fake_api, NOW, staff_chat_id=STAFF_GROUP) as running:
        await running.add_orders(order())
        async with running.deps.uow() as uow:
            await uow.staff.set_role(AGENT, "agent", NOW)
            await uow.staff.set_role(ARBITRATOR, "arbitrator", NOW)
            await uow.commit()
        yield running


def in_group(harness: BotHarness, user_id: int) -> Person:
    fake = harness.api.user(id=user_id, first_name=f"u{user_id}", language_code="zh-hans")
    return Person(harness, fake.in_chat(STAFF_GROUP, "supergroup", title="客服群"))


@pytest.fixture
async def case_no(harness: BotHarness) -> str:
    buyer = harness.user(user_id=BUYER)
    await buyer.send("/complain KM202611250001")
    await buyer.send("lihua_88")
    await buyer.click("f:reason:not_delivered")
    await buyer.send("付款后一直没有收到充值卡，联系商家也没有回复。")
    await buyer.photo(PHOTO)
    await buyer.click("f:done")
    await buyer.click("f:refund:full")
    await buyer.click("f:method:original")
    await buyer.click("f:submit")
    found = CASE_NO.search(buyer.last_text())
    assert found, buyer.texts()[-3:]
    return found.group(0)


async def status_of(harness: BotHarness, case_no: str) -> CaseStatus:
    async with harness.deps.uow() as uow:
        case = await uow.cases.get(case_no)
    assert case is not None
    return case.status


def answers(harness: BotHarness) -> list[dict[str, Any]]:
    return [call.params for call in harness.api.calls("answerCallbackQuery")]


async def test_an_agent_opens_the_card_and_takes_the_case_with_its_button(
    harness: BotHarness, case_no: str
) -> None:
    agent = in_group(harness, AGENT)
    await agent.send(f"/case {case_no}")
    card, timeline = agent.texts()[-2:]
    assert "Steam 充值卡 100元" in card
    assert "100.00 元" in card
    assert "提交投诉" in timeline
    await agent.click("接手")
    assert "您已接手" in agent.last_text()
    assert await status_of(harness, case_no) is CaseStatus.IN_REVIEW
    assert answers(harness)[-1].get("show_alert") is not True
    # Staff cards keep their buttons, for the next step and for colleagues.
    edits = harness.api.calls("editMessageReplyMarkup")
    assert [call for call in edits if str(call.params["chat_id"]) == str(STAFF_GROUP)] == []


async def test_a_group_member_who_is_not_staff_gets_an_alert_and_changes_nothing(
    harness: BotHarness, case_no: str
) -> None:
    agent, outsider = in_group(harness, AGENT), in_group(harness, OUTSIDER)
    await agent.send(f"/case {case_no}")
    await outsider.click("按申请金额退款")
    alert = answers(harness)[-1]
    assert alert["show_alert"] is True
    assert "仅限平台工作人员" in alert["text"]
    assert "<" not in alert["text"]
    assert "仅限平台工作人员" in outsider.last_text()
    assert await status_of(harness, case_no) is CaseStatus.SUBMITTED


async def test_a_double_click_on_approve_refunds_once(
    harness: BotHarness, case_no: str
) -> None:
    agent = in_group(harness, AGENT)
    await agent.send(f"/case {case_no}")
    card = agent.messages()[-2]
    await agent.feed(agent.fake.build_click(card.message_id, "按申请金额退款"))
    await agent.feed(agent.fake.build_click(card.message_id, "按申请金额退款"))
    assert "已批准" in agent.texts()[-2]
    assert "待退款" in answers(harness)[-1]["text"]
    async with harness.deps.uow() as uow:
        events = await uow.events.list(case_no)
    assert [event.action for event in events] == ["submit", "approve_refund"]


async def test_an_agent_cannot_rule_in_arbitration_from_a_forged_button(
    harness: BotHarness, case_no: str
) -> None:
    agent = in_group(harness, AGENT)
    await agent.send(f"/case {case_no}")
    forged = agent.fake.build_click(agent.messages()[-2].message_id, "接手")
    forged["callback_query"]["data"] = f"st:rb:{case_no}"
    await agent.feed(forged)
    assert answers(harness)[-1]["show_alert"] is True
    assert await status_of(harness, case_no) is CaseStatus.SUBMITTED


async def test_the_reason_is_taken_from_the_next_message_of_the_agent_who_pressed(
    harness: BotHarness, case_no: str
) -> None:
    agent, colleague = in_group(harness, AGENT), in_group(harness, ARBITRATOR)
    await agent.send(f"/case {case_no}")
    await agent.click("驳回")
    question = agent.messages()[-1]
    assert "驳回理由" in question.plain_text
    assert "/cancel" in question.plain_text
    before = len(agent.texts())
    await colleague.send("我觉得证据够了")
    assert len(agent.texts()) == before  # a colleague's chatter is not the answer
    # With the bot's group privacy mode on, a reply to the question is what reaches the bot.
    await agent.feed(agent.fake.build_text("付款记录与订单不符", reply_to=question.message_id))
    assert "已驳回" in agent.last_text()
    assert await status_of(harness, case_no) is CaseStatus.REJECTED


async def test_view_evidence_resends_the_photo_into_the_group(
    harness: BotHarness, case_no: str
) -> None:
    agent = in_group(harness, AGENT)
    await agent.send(f"/case {case_no}")
    await agent.click("查看证据")
    async with harness.deps.uow() as uow:
        [evidence] = await uow.evidence.list(case_no)
    [sent] = harness.api.calls("sendPhoto")
    assert str(sent.params["chat_id"]) == str(STAFF_GROUP)
    assert sent.params["photo"] == evidence.file.file_id
    assert case_no in sent.params["caption"]


async def test_the_same_press_delivered_twice_has_one_effect(
    harness: BotHarness, case_no: str
) -> None:
    agent = in_group(harness, AGENT)
    await agent.send(f"/case {case_no}")
    press = agent.fake.build_click(agent.messages()[-2].message_id, "接手")
    answered = len(answers(harness))
    await agent.feed(press)
    before = len(agent.texts())
    await agent.feed(dict(press))
    assert len(agent.texts()) == before
    assert len(answers(harness)) == answered + 2  # the repeat is answered too: no spinner hangs


async def test_an_admin_adds_staff_from_the_group(harness: BotHarness, case_no: str) -> None:
    async with harness.deps.uow() as uow:
        await uow.staff.set_role(4001, "admin", NOW)
        await uow.commit()
    admin, newcomer = in_group(harness, 4001), in_group(harness, OUTSIDER)
    await newcomer.send(f"/take {case_no}")
    assert "仅限平台工作人员" in newcomer.last_text()
    await admin.send(f"/staff add {OUTSIDER} agent")
    assert "客服" in admin.last_text()
    await newcomer.send(f"/take {case_no}")
    assert "您已接手" in newcomer.last_text()


async def test_staff_work_in_private_through_the_buyer_router(
    harness: BotHarness, case_no: str
) -> None:
    agent = harness.user(user_id=AGENT)
    await agent.send(f"/case {case_no}")
    assert "Steam 充值卡 100元" in agent.texts()[-2]
    await agent.click("部分退款")
    assert "上限" in agent.last_text()
    await agent.send("66.6")
    assert "66.60 元" in agent.last_text()
    assert await status_of(harness, case_no) is CaseStatus.REFUND_PENDING


async def test_messages_in_other_groups_are_not_staff_commands(
    harness: BotHarness, case_no: str
) -> None:
    fake = harness.api.user(id=AGENT).in_chat(-100555, "supergroup", title="闲聊群")
    other = Person(harness, fake)
    await other.send(f"/approve {case_no}")
    assert other.texts() == []
    assert await status_of(harness, case_no) is CaseStatus.SUBMITTED


async def test_the_new_case_notice_in_the_group_carries_working_buttons_and_the_buyer_hears(
    harness: BotHarness, case_no: str
) -> None:
    time = VirtualTime(harness.clock)
    sender = make_sender(harness.deps, harness.bot, "w1", time)
    await deliver_all(sender, harness.deps.engine, time)
    agent = in_group(harness, AGENT)
    notice = agent.messages()[-1]
    assert case_no in notice.plain_text
    await agent.click("接单")  # the notice's own button
    assert "您已接手" in agent.last_text()
    await agent.click("按申请金额批准退款")
    assert await status_of(harness, case_no) is CaseStatus.REFUND_PENDING
    await deliver_all(sender, harness.deps.engine, time)
    buyer_texts = [m.plain_text for m in harness.api.sent_messages(BUYER)]
    assert any(case_no in text and "100.00" in text for text in buyer_texts[-2:])
    await agent.click("确认已退款")  # the payout button of the staff chat's approval notice
    assert await status_of(harness, case_no) is CaseStatus.REFUNDED
