"""/stats through the real bot: staff see everything, a bound merchant only their own cases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from cases.lifecycle import Action
from sandbox.botapi import FakeBotAPI
from tests.bot.harness import BotHarness, Person, bot_harness
from tests.bot.test_deadline_worker import act
from tests.bot.test_filing_through_dispatcher import NOW, file_complaint, order
from tests.bot.test_merchant_through_dispatcher import deliver_notices

STAFF_CHAT = -100555
AGENT = 900
OUTSIDER = 903
MERCHANT_ONE = 901  # M1001
MERCHANT_TWO = 902  # M2002
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    async with two_shops(tmp_path, fake_api) as running:
        yield running


@asynccontextmanager
async def two_shops(tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    """A bot with a staff chat, an agent, and two merchants bound to their accounts."""
    async with bot_harness(tmp_path, fake_api, NOW, staff_chat_id=STAFF_CHAT) as running:
        await running.add_orders(
            order("KM1"), order("KM2"), order("KM3", merchant_code="M2002"), order("KM4")
        )
        async with running.deps.uow() as uow:
            await uow.staff.set_role(AGENT, "agent", NOW)
            shops = (("M1001", "星辰卡铺", MERCHANT_ONE), ("M2002", "月光小店", MERCHANT_TWO))
            for code, name, user in shops:
                await uow.merchants.upsert(code, name, NOW)
                await uow.merchants.set_bind_token(code, code * 12, NOW)
                await uow.merchants.bind(code * 12, user, NOW)
            await uow.commit()
        yield running


@pytest.fixture
async def story(harness: BotHarness) -> list[str]:
    """Four cases: refunded in full, rejected, withdrawn, and one left past its review deadline."""
    cases = [await file_complaint(harness.user(1001 + n), f"KM{n + 1}") for n in range(4)]
    refunded, rejected, withdrawn, _overdue = cases
    harness.clock.set(NOW + timedelta(hours=2))
    await act(harness, refunded, Action.SEND_TO_MERCHANT, AGENT)
    await act(harness, withdrawn, Action.WITHDRAW, 1003)
    harness.clock.set(NOW + timedelta(hours=5))
    await act(harness, refunded, Action.MERCHANT_ACCEPT, MERCHANT_ONE)
    await act_with_note(harness, rejected, Action.REJECT, AGENT, "订单已发货，物流显示已签收。")
    harness.clock.set(NOW + timedelta(hours=8))
    await act(harness, refunded, Action.CONFIRM_REFUND, AGENT)
    harness.clock.set(NOW + timedelta(days=7))  # the last case's review deadline has passed
    await deliver_notices(harness)  # the staff chat's cards, so a reply is not queued behind
    return cases


async def act_with_note(
    harness: BotHarness, case_no: str, action: Action, user: int, note: str
) -> None:
    from cases.workflow import perform

    deps = harness.deps
    async with deps.uow() as uow:
        await perform(
            uow, deps.clock, deps.policy, deps.calendar, deps.notifier, case_no, action, user,
            note=note,
        )
        await uow.commit()


def in_group(harness: BotHarness, user_id: int) -> Person:
    fake = harness.api.user(id=user_id, first_name=f"u{user_id}", language_code="zh-hans")
    return Person(harness, fake.in_chat(STAFF_CHAT, "supergroup", title="客服群"))


def photos(harness: BotHarness, chat_id: int) -> list[Any]:
    return [
        call for call in harness.api.calls("sendPhoto")
        if call.ok and str(call.params.get("chat_id")) == str(chat_id)
    ]


async def test_staff_get_the_chart_and_the_figures_of_every_case_in_the_period(
    harness: BotHarness, story: list[str]
) -> None:
    agent = in_group(harness, AGENT)
    await agent.send("/stats 30d")
    (photo,) = photos(harness, STAFF_CHAT)
    (upload,) = photo.uploads.values()
    assert upload.content.startswith(PNG)
    assert "投诉统计" in photo.params["caption"]
    text = agent.last_text()
    assert "共 4 件投诉" in text
    assert "按申请金额退款 1 件，部分退款 0 件，未退款（驳回或结案）1 件，撤回 1 件" in text
    assert "处理中 1 件" in text
    assert "已处理的 2 件中支持买家：50%" in text
    assert "已退款合计：100.00 元" in text
    # Review: two left in time, one overdue now; the withdrawn case is not counted.
    assert "审核 67%（2/3）" in text
    assert "商家答复 100%（1/1）" in text
    assert "退款 100%（1/1）" in text
    assert "• 星辰卡铺（M1001）：3 件" in text
    assert "• 月光小店（M2002）：1 件" in text
    assert "当前未结投诉 1 件" in text
    assert "7 天以上 1" in text


async def test_someone_without_a_staff_role_gets_no_stats_in_the_staff_chat(
    harness: BotHarness, story: list[str]
) -> None:
    outsider = in_group(harness, OUTSIDER)
    await outsider.send("/stats")
    assert photos(harness, STAFF_CHAT) == []
    assert "工作人员" in outsider.last_text()


async def test_a_merchant_sees_only_their_own_cases(harness: BotHarness, story: list[str]) -> None:
    one, two = harness.user(MERCHANT_ONE), harness.user(MERCHANT_TWO)
    await one.send("/stats 2026-11")
    text = one.last_text()
    assert "商家：星辰卡铺（M1001）" in text
    assert "共 3 件投诉" in text
    assert "M2002" not in text
    assert "月光小店" not in text
    assert "按商家" not in text
    assert len(photos(harness, MERCHANT_ONE)) == 1
    await two.send("/stats 2026-11")
    text = two.last_text()
    assert "共 1 件投诉" in text
    assert "撤回 1 件" in text
    assert "M1001" not in text


async def test_a_buyer_who_is_no_merchant_is_told_so_and_sees_nothing(
    harness: BotHarness, story: list[str]
) -> None:
    buyer = harness.user(1001)
    await buyer.send("/stats")
    assert "已绑定商家" in buyer.last_text()
    assert photos(harness, 1001) == []


async def test_a_period_the_bot_cannot_read_gets_the_usage(harness: BotHarness) -> None:
    agent = in_group(harness, AGENT)
    await agent.send("/stats lastweek")
    assert "用法：/stats [7d|30d|YYYY-MM]" in agent.last_text()
    assert "lastweek" in agent.last_text()


async def test_the_cli_prints_the_same_figures_and_writes_the_chart(
    harness: BotHarness, story: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the project
    url = harness.deps.settings.resolved_database_url
    for name, value in {"DATABASE_URL": url, "BOT_TOKEN": "", "DEFAULT_LOCALE": "en"}.items():
        monkeypatch.setenv(name, value)
    chart = tmp_path / "stats.png"
    code = await asyncio.to_thread(main, ["stats", "2026-11", "--chart", str(chart)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Complaint stats 2026-11-01 to 2026-11-30" in out
    assert "4 cases" in out
    assert "Refunds paid: CNY 100.00" in out
    assert "review 67% (2/3)" in out
    assert "<b>" not in out
    assert chart.read_bytes().startswith(PNG)
    code = await asyncio.to_thread(main, ["stats", "--merchant", "M2002", "2026-11"])
    out = capsys.readouterr().out
    assert "1 cases" in out
    assert "M1001" not in out
    assert await asyncio.to_thread(main, ["stats", "november"]) == 2


async def test_ratings_show_in_total_per_type_merchant_and_staff_member(
    harness: BotHarness, story: list[str]
) -> None:
    refunded, rejected, _, _ = story
    await harness.user(1001).click(f"b:rate:{refunded}:5")
    await harness.user(1002).click(f"b:rate:{rejected}:2")
    agent = in_group(harness, AGENT)
    await agent.send("/stats 30d")
    text = agent.last_text()
    assert "满意度：3.50/5（2 条评价；1–5 分各 0/1/0/0/1 条）" in text
    assert "• 星辰卡铺（M1001）：3 件" in text
    assert "· 满意度 3.50" in text.split("• 星辰卡铺（M1001）")[1].split("\n")[0]
    assert "满意度" not in text.split("• 月光小店（M2002）")[1].split("\n")[0]
    # The rejection was the agent's decision; the merchant's own acceptance had no staff.
    assert f"• {AGENT}：2.00/5（1 条；0/1/0/0/0）" in text
    one = harness.user(MERCHANT_ONE)
    await one.send("/stats 30d")
    assert "满意度：3.50/5" in one.last_text()
    assert "满意度按客服" not in one.last_text()  # staff members' ratings are for staff only
