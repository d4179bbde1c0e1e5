"""Merchants and buyers act on a filed case through the real dispatcher, over HTTP.

The notices a change queues are delivered by the real outbox sender, and the people press the
buttons on them, so the whole round trip runs as in production.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.outbox import OutboxSender
from cases.lifecycle import Action
from cases.model import CaseStatus, Order, OrderStatus
from cases.workflow import perform
from dialogs.merchant import token_hash
from sandbox.botapi import FakeBotAPI
from tests.bot.harness import BotHarness, Person, bot_harness

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # Thursday 11:00 in Shanghai
CASE_NO = re.compile(r"TS\d{8}-[0-9A-HJKMNP-TV-Z]{5}")
PHOTO = b"\xff\xd8\xff\xe0 fake jpeg bytes of a payment screenshot"
BUYER, MERCHANT, OTHER_MERCHANT, AGENT = 1001, 2001, 2002, 3001
TOKEN = "kT3-mQ9_vX2pL7sN4wR8yB1cD6fG0hJ5"


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
    async with bot_harness(tmp_path, fake_api, NOW) as running:
        await running.add_orders(order())
        async with running.deps.uow() as uow:
            await uow.staff.set_role(AGENT, "agent", NOW)
            await uow.merchants.upsert("M1001", "星辰卡铺", NOW)
            await uow.merchants.set_bind_token("M1001", token_hash(TOKEN), NOW)
            await uow.merchants.upsert("M2002", "别家卡铺", NOW)
            await uow.merchants.set_bind_token("M2002", token_hash("other-shop-token"), NOW)
            await uow.commit()
        yield running


async def file_complaint(buyer: Person) -> str:
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


async def staff_moves(harness: BotHarness, case_no: str, *moves: tuple[Action, str]) -> None:
    """Staff move the case (as the staff dialog would), each in its own transaction."""
    deps = harness.deps
    for action, note in moves:
        async with deps.uow() as uow:
            await perform(
                uow, deps.clock, deps.policy, deps.calendar, deps.notifier, case_no, action,
                AGENT, note=note,
            )
            await uow.commit()


async def deliver_notices(harness: BotHarness) -> None:
    """Runs the outbox sender until nothing is due; its pauses between messages take no time."""
    ticks = itertools.count()

    async def no_wait(seconds: float) -> None:
        for _ in range(int(seconds * 10) + 1):
            next(ticks)

    sender = OutboxSender(
        harness.deps, harness.bot, "test", monotonic=lambda: next(ticks) / 10, sleep=no_wait
    )
    while await sender.run_once():
        pass


async def case_status(harness: BotHarness, case_no: str) -> CaseStatus:
    async with harness.deps.uow() as uow:
        case = await uow.cases.get(case_no)
    assert case is not None
    return case.status


async def forge_click(harness: BotHarness, person: Person, data: str) -> None:
    """Presses a button the bot never gave this person: callback data made up by the client."""
    message = person.fake.bot_messages()[-1]
    query: dict[str, Any] = {
        "id": harness.api.state.next_callback_query_id(),
        "from": person.fake.as_user(),
        "message": message,
        "chat_instance": "forged",
        "data": data,
    }
    await harness.feed({"callback_query": query})


async def test_a_merchant_binds_then_answers_with_a_partial_offer(harness: BotHarness) -> None:
    buyer = harness.user(user_id=BUYER)
    case_no = await file_complaint(buyer)
    merchant = harness.user(user_id=MERCHANT)
    await merchant.send(f"/start m_{TOKEN}")
    assert "绑定成功" in merchant.last_text()
    assert "星辰卡铺" in merchant.last_text()

    await staff_moves(harness, case_no, (Action.TAKE, ""), (Action.SEND_TO_MERCHANT, ""))
    await deliver_notices(harness)
    assert "收到一条新投诉" in merchant.last_text()
    assert "lihua_88" not in merchant.last_text()  # no buyer contact data
    await merchant.send(f"/status {case_no}")
    await merchant.click(f"mc:ev:{case_no}")
    [photo] = harness.api.calls("sendPhoto")
    assert photo.params["chat_id"] == MERCHANT
    await merchant.click(f"mc:off:{case_no}")
    await merchant.send("100")
    assert "低于买家申请的 100.00 元" in merchant.last_text()
    await merchant.send("60.50")
    assert "60.50 元" in merchant.last_text()
    assert await case_status(harness, case_no) is CaseStatus.NEGOTIATING

    await deliver_notices(harness)
    assert "商家愿意退款 60.50 元" in buyer.last_text()
    await buyer.click(f"b:acc:{case_no}")
    assert "您已接受商家的方案" in buyer.last_text()
    assert await case_status(harness, case_no) is CaseStatus.REFUND_PENDING


async def test_a_forged_merchant_press_changes_nothing_and_says_why(harness: BotHarness) -> None:
    buyer = harness.user(user_id=BUYER)
    case_no = await file_complaint(buyer)
    await staff_moves(harness, case_no, (Action.TAKE, ""), (Action.SEND_TO_MERCHANT, ""))
    other = harness.user(user_id=OTHER_MERCHANT)
    await other.send("/start m_other-shop-token")
    assert "别家卡铺" in other.last_text()

    await forge_click(harness, other, f"mc:acc:{case_no}")
    assert f"没有找到投诉编号为 {case_no} 的投诉" in other.last_text()
    await other.send(f"/status {case_no}")
    assert f"没有找到投诉编号为 {case_no} 的投诉" in other.last_text()
    await forge_click(harness, buyer, f"mc:acc:{case_no}")
    assert "还没有绑定商家" in buyer.last_text()
    assert await case_status(harness, case_no) is CaseStatus.AWAITING_MERCHANT
    async with harness.deps.uow() as uow:
        events = await uow.events.list(case_no)
    assert [event.action for event in events][-1] == Action.SEND_TO_MERCHANT.value


async def test_a_buyer_supplies_evidence_from_the_request(harness: BotHarness) -> None:
    buyer = harness.user(user_id=BUYER)
    case_no = await file_complaint(buyer)
    await staff_moves(
        harness, case_no, (Action.TAKE, ""), (Action.REQUEST_EVIDENCE, "请补充与商家的聊天记录")
    )
    await deliver_notices(harness)
    assert "请补充材料" in buyer.last_text()
    await buyer.click(f"b:ev:{case_no}")
    assert "请补充与商家的聊天记录" in buyer.last_text()
    await buyer.document(b"%PDF-1.4 chat log", "chat.pdf", "application/pdf")
    await buyer.photo(PHOTO)  # the screenshot sent with the complaint: counted once
    assert "已经收到过" in buyer.last_text()
    await buyer.click(f"b:evd:{case_no}")
    assert "已收到补充材料" in buyer.last_text()
    assert await case_status(harness, case_no) is CaseStatus.IN_REVIEW
    assert await harness.download_evidence() == 2  # the complaint's photo and the new PDF
    async with harness.deps.uow() as uow:
        evidence = await uow.evidence.list(case_no)
    assert [item.file.file_name for item in evidence][-1] == "chat.pdf"
    assert all(item.sha256 for item in evidence)
