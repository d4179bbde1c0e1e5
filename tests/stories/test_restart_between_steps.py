"""The bot stops and starts again between every step of a story: nothing is lost, nothing is
said twice, and there is one case."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cases.model import CaseStatus
from storage.models import CaseRow
from tests.stories.kit import (
    BUYER,
    CASE_NO,
    MERCHANT,
    ORDER_NO,
    PHOTO,
    STAFF_GROUP,
    Persona,
    Stories,
    StoryFactory,
)

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # Thursday 26 November, 11:00 in Shanghai
# What each of them must hear, once each and in this order.
BUYER_HEARS = (
    "投诉已提交",
    "已转商家处理",
    "商家提出部分退款",
    "您已拒绝商家的部分退款方案",
    "已申请平台仲裁",
    "仲裁结果：支持您的投诉",
    "退款已完成",
)
MERCHANT_HEARS = (
    "绑定成功",
    "收到一条新投诉",
    "已向买家提出部分退款",
    "买家拒绝了您的部分退款方案",
    "买家已申请平台仲裁",
    "平台批准向买家退款 80.00 元",
)
STAFF_HEARS = ("新投诉", "商家提出部分退款", "买家拒绝了商家的方案", "需要仲裁", "退款已批准")


def steps(s: Stories) -> list[Callable[[], Awaitable[None]]]:
    """The partial-offer story, one update per step: filing, merchant, buyer, arbitration."""
    buyer, merchant, agent, arbitrator = s.buyer, s.merchant, s.agent, s.arbitrator
    return [
        lambda: buyer.send(f"/complain {ORDER_NO}"),
        lambda: buyer.send("lihua_88"),
        lambda: buyer.click("卡密无效或已被使用"),
        lambda: buyer.send("卡密显示已被使用，无法兑换会员，联系商家没有回复。"),
        lambda: buyer.photo(PHOTO),
        lambda: buyer.click("完成"),
        lambda: buyer.click("f:refund:full"),
        lambda: buyer.click("原路返回"),
        lambda: buyer.click("提交投诉"),
        lambda: agent.click("转商家处理"),
        lambda: merchant.click("提出部分退款"),
        lambda: merchant.send("60.00"),
        lambda: buyer.click("拒绝方案"),
        lambda: buyer.click("申请平台仲裁"),
        lambda: arbitrator.click("裁决：支持买家"),
        lambda: arbitrator.reply("80.00"),
        lambda: agent.click("确认已退款"),
    ]


def told(person: Persona, headlines: tuple[str, ...]) -> list[str]:
    """The headlines in what the person heard, in the order heard; a repeat shows twice."""
    return [line for heard in person.heard() for line in headlines if line in heard.text]


# On each runtime: every step builds and closes the adapter, as a restarted process does.
@pytest.mark.every_runtime
async def test_a_restart_between_every_step_loses_nothing_and_repeats_nothing(
    story: StoryFactory,
) -> None:
    s = await story(NOW)
    for step in steps(s):
        await step()
        # Stopped before its notices went out: the next process must send them, once.
        await s.restart()
        await s.settle()
        await s.advance(timedelta(minutes=10))
    assert s.restarts == 17

    [case_no] = CASE_NO.findall(s.agent.heard()[0].text)
    assert await s.status(case_no) is CaseStatus.REFUNDED
    assert await s.history(case_no) == [
        "submit",
        "send_to_merchant",
        "merchant_offer",
        "decline_offer",
        "escalate",
        "rule_for_buyer",
        "confirm_refund",
    ]
    async with AsyncSession(s.harness.deps.engine) as session:
        assert (await session.execute(select(func.count()).select_from(CaseRow))).scalar() == 1

    # Every notice and reply was delivered, each by one send the fake Telegram saw once.
    rows = await s.outbox(replies=True)
    assert [row for row in rows if row.sent_at is None or row.failed_at is not None] == []
    assert len({(row.chat_id, row.message_id) for row in rows}) == len(rows)
    sends = Counter(
        (str(call.params["chat_id"]), call.params["text"])
        for call in s.api.calls("sendMessage")
        if call.ok
    )
    assert [text for (_, text), count in sends.items() if count > 1] == []

    # And nothing was lost: each person heard the whole story, in order.
    for person, headlines in (
        (s.buyer, BUYER_HEARS),
        (s.merchant, MERCHANT_HEARS),
        (s.agent, STAFF_HEARS),
    ):
        assert told(person, headlines) == list(headlines), person.name
    assert {row.chat_id for row in rows} == {BUYER, MERCHANT, STAFF_GROUP}
