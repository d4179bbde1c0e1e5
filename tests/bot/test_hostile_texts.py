"""A buyer's words reach every chat as text: markup stays characters, NUL cannot break a write."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sandbox.botapi import FakeBotAPI
from sandbox.botapi.markup import parse_html
from tests.bot.harness import BotHarness, Person, bot_harness
from tests.bot.hostile_kit import markup_problems
from tests.bot.hostile_scenes import CASE_NO, NOW, STAFF_GROUP, order
from tests.bot.outbox_support import VirtualTime, deliver_all, make_sender

ORDER_NO = "KM202611250001"
DESCRIPTION = (
    '卡密无效 <b>ZQX0</b> 请看 <a href="https://evil.example/">ZQX1</a> &lt;b&gt;ZQX3 <i>未闭合'
)
AGENT = 3001


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    async with bot_harness(tmp_path, fake_api, NOW, staff_chat_id=STAFF_GROUP) as running:
        await running.add_orders(order(ORDER_NO))
        async with running.deps.uow() as uow:
            await uow.staff.set_role(AGENT, "agent", NOW)
            await uow.commit()
        yield running


async def file_with(buyer: Person, description: str, file_name: str = "付款.pdf") -> str:
    await buyer.send(f"/complain {ORDER_NO}")
    await buyer.send("lihua_88")
    await buyer.click("f:reason:card_invalid")
    await buyer.send(description)
    await buyer.document(b"%PDF-1.4 receipt", file_name, "application/pdf")
    await buyer.click("f:done")
    await buyer.click("f:refund:full")
    await buyer.click("f:method:original")
    await buyer.click("f:submit")
    found = CASE_NO.search(buyer.last_text())
    assert found, buyer.texts()[-2:]
    return found.group(0)


def test_the_markup_check_catches_user_tags_that_became_formatting() -> None:
    assert markup_problems("描述：&lt;b&gt;ZQX0&lt;/b&gt;") == []
    assert markup_problems("描述：<b>ZQX0</b>") != []
    assert markup_problems('描述：<a href="https://evil.example/">ZQX1</a>') != []
    assert markup_problems("描述：&amp;lt;b&amp;gt;ZQX3") == []
    assert markup_problems("描述：&lt;b&gt;ZQX3") != []  # the user typed the entity itself
    assert markup_problems("<b>未闭合") != []  # Telegram refuses it


async def test_a_description_with_markup_lands_escaped_in_the_staff_card_and_notice(
    harness: BotHarness,
) -> None:
    case_no = await file_with(harness.user(), DESCRIPTION)
    time = VirtualTime(harness.clock)
    await deliver_all(make_sender(harness.deps, harness.bot, "w1", time), harness.deps.engine, time)
    agent = Person(harness, harness.api.user(id=AGENT).in_chat(STAFF_GROUP, title="客服群"))
    await agent.send(f"/case {case_no}")

    staff_messages = agent.messages()
    shown = [m for m in staff_messages if "ZQX0" in m.plain_text]
    assert len(shown) >= 2, [m.plain_text for m in staff_messages]  # the new-case notice, the card
    for message in shown:
        assert DESCRIPTION in message.plain_text
        assert markup_problems(message.text) == [], message.text
        _, entities = parse_html(message.text)
        assert not any(e["type"] == "text_link" for e in entities)


async def test_nul_characters_in_what_a_buyer_sends_do_not_stop_the_complaint(
    harness: BotHarness,
) -> None:
    buyer = harness.user()
    case_no = await file_with(buyer, "付款后\x00没有收到卡密，商家也不回复。\x00", "凭证\x00.pdf")
    async with harness.deps.uow() as uow:
        case = await uow.cases.get(case_no)
        [evidence] = await uow.evidence.list(case_no)
    assert case is not None
    assert case.description == "付款后没有收到卡密，商家也不回复。"
    assert evidence.file.file_name == "凭证.pdf"
