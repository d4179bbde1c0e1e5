"""Whose chat, in whose language, with what kept private; and a repeated write queues nothing."""

from __future__ import annotations

import json
from typing import Any

from cases.lifecycle import Action
from cases.model import CaseStatus, Merchant
from cases.policy import Policy
from cases.ports import UserProfile
from tests.dialogs.notices_support import STAFF_CHAT, NoticeWorld, by_audience
from tests.fakes.lifecycle import BUYER, MERCHANT_USER, make_case
from tests.fakes.uow import FakeUnitOfWork

A = Action
BUYER_USERNAME = "xiaoming_2026"
BUYER_ACCOUNT = "Buyer_One"  # the platform account on the order (tests/fakes/lifecycle.py)


def values(params: Any) -> list[Any]:
    if isinstance(params, dict):
        return [v for value in params.values() for v in values(value)]
    if isinstance(params, list):
        return [v for value in params for v in values(value)]
    return [params]


async def walk_to_arbitration(world: NoticeWorld) -> None:
    await world.file()
    await world.step(A.TAKE, "agent")
    await world.step(A.SEND_TO_MERCHANT, "agent")
    await world.step(A.MERCHANT_OFFER, "merchant", amount=2000)
    await world.step(A.DECLINE_OFFER, "buyer")
    await world.step(A.ESCALATE, "buyer")
    await world.step(A.RULE_FOR_BUYER, "arbitrator", amount=3000)


async def test_merchant_messages_carry_no_buyer_contact_data() -> None:
    world = NoticeWorld()
    world.store.users[BUYER] = UserProfile(BUYER, "zh_CN", "zh-hans", BUYER_USERNAME)

    await walk_to_arbitration(world)

    merchant = [item for item in world.all_sent() if item.audience == "merchant"]
    assert len(merchant) == 4  # asked, offer declined, escalated, result
    for item in merchant:
        raw = json.dumps(item.payload, ensure_ascii=False)
        assert BUYER_USERNAME not in raw
        assert BUYER_ACCOUNT not in raw
        assert BUYER not in values(item.reply.params)
        assert not any("buyer" in name for name in item.reply.params)
        for locale in ("zh_CN", "en"):
            text = item.render(locale)
            assert BUYER_USERNAME not in text
            assert BUYER_ACCOUNT not in text
            assert str(BUYER) not in text.replace(world.case.order_no, "")


async def test_internal_notes_reach_nobody_outside_staff() -> None:
    world = NoticeWorld()
    await world.file()
    await world.step(A.TAKE, "agent")
    await world.step(A.SEND_TO_MERCHANT, "agent")
    world.mark()

    await world.step(A.NOTE, "agent", note="内部：买家疑似重复投诉")
    await world.step(A.ASSIGN, "admin", assignee=3002)

    assert world.new_sent() == []
    texts = [item.render(locale) for item in world.all_sent() for locale in ("zh_CN", "en")]
    assert not any("重复投诉" in text for text in texts)


async def test_each_recipient_hears_in_their_own_language() -> None:
    world = NoticeWorld(default_locale="zh_CN")
    world.store.users[BUYER] = UserProfile(BUYER, "en", "zh-hans", None)  # /language wins
    world.store.users[MERCHANT_USER] = UserProfile(MERCHANT_USER, None, "en-US", None)
    await world.file()
    await world.step(A.TAKE, "agent")
    world.mark()

    await world.step(A.SEND_TO_MERCHANT, "agent")
    await world.step(A.MERCHANT_ACCEPT, "merchant")

    locales = {(item.audience, item.locale) for item in world.new_sent()}
    assert locales == {("buyer", "en"), ("merchant", "en"), ("staff", "zh_CN")}


async def test_unknown_languages_and_the_staff_chat_follow_the_default_locale() -> None:
    world = NoticeWorld(default_locale="en")
    await world.file()
    await world.step(A.TAKE, "agent")
    await world.step(A.SEND_TO_MERCHANT, "agent")

    assert {item.locale for item in world.all_sent()} == {"en"}


async def test_a_repeated_notice_write_queues_nothing_more() -> None:
    world = NoticeWorld()
    await world.file()
    await world.step(A.TAKE, "agent")
    outcome = await world.act(A.SEND_TO_MERCHANT, 3001)
    queued = len(world.store.outbox)

    async with FakeUnitOfWork(world.store) as uow:
        await world.notices(uow, outcome)
        await world.notices.notify_submitted(uow, world.case)
        await uow.commit()

    assert len(world.store.outbox) == queued
    keys = [item.outbox_key for item in world.all_sent()]
    case_no = world.case_no
    assert keys == [
        f"notice:{case_no}:1:staff",
        f"notice:{case_no}:2:buyer",
        f"notice:{case_no}:3:buyer",
        f"notice:{case_no}:3:merchant",
    ]


async def test_notices_are_due_when_the_change_happened() -> None:
    world = NoticeWorld()
    await world.file()
    world.mark()

    outcome = await world.act(A.TAKE, 3001)

    assert [item.due_at for item in world.new_sent()] == [outcome.event.at]


async def test_a_merchant_without_telegram_is_flagged_to_staff_instead() -> None:
    world = NoticeWorld()
    world.store.merchants["M01"] = Merchant("M01", "星辰卡铺", None)
    await world.file()
    await world.step(A.TAKE, "agent")
    world.mark()

    await world.step(A.SEND_TO_MERCHANT, "agent")

    sent = by_audience(world.new_sent())
    assert set(sent) == {"buyer", "staff"}
    assert sent["staff"].key == "notice.staff.merchant_unreachable"
    assert "M01" in sent["staff"].render()


async def test_without_a_staff_chat_buyers_and_merchants_still_hear() -> None:
    world = NoticeWorld(staff_chat=None)

    await walk_to_arbitration(world)

    assert {item.audience for item in world.all_sent()} == {"buyer", "merchant"}


async def test_an_automatic_payout_offers_no_refund_paid_button() -> None:
    world = NoticeWorld(manual_payout=False)
    await world.file()
    await world.step(A.TAKE, "agent")
    world.mark()

    await world.step(A.APPROVE_REFUND, "agent", amount=3000)

    staff = by_audience(world.new_sent())["staff"]
    assert staff.button_prefixes == [["st:card:"]]
    assert "自动" in staff.render("zh_CN")


async def test_a_manual_payout_asks_staff_to_pay_by_the_refund_deadline() -> None:
    world = NoticeWorld()
    await world.file()
    await world.step(A.TAKE, "agent")
    world.mark()

    await world.step(A.APPROVE_REFUND, "agent", amount=2500)

    staff = by_audience(world.new_sent())["staff"]
    text = staff.render("zh_CN")
    assert "25.00 元" in text
    assert "确认已退款" in text
    assert staff.reply.params["deadline"] is not None


async def test_the_new_case_notice_weighs_a_repeat_buyer_and_a_high_value() -> None:
    world = NoticeWorld(Policy(high_value_amount=3000))
    world.store.cases["TS20261120-AAAAA"] = make_case(
        CaseStatus.CLOSED, case_no="TS20261120-AAAAA", order_no="A0999"
    )

    await world.file()

    staff = by_audience(world.new_sent())["staff"]
    signals = {s["name"]: s for s in staff.reply.params["risk"]["signals"]}
    assert signals["earlier"]["count"] == 1
    assert signals["earlier"]["rejected"] == 1  # closed without a refund
    assert "high_value" in signals
    text = staff.render("zh_CN")
    assert "买家此前另有 1 条投诉：未获支持 1 条" in text
    assert "高额投诉" in text
    assert "风险分" in text
    assert "1 other complaint" in staff.render("en")


async def test_a_first_ordinary_case_shows_no_repeat_or_high_value_signal() -> None:
    world = NoticeWorld()

    await world.file()

    staff = by_audience(world.new_sent())["staff"]
    text = staff.render("zh_CN")
    assert "此前另有" not in text
    assert "高额" not in text


async def test_the_risk_score_reaches_neither_the_buyer_nor_the_merchant() -> None:
    world = NoticeWorld(Policy(high_value_amount=3000))
    world.store.cases["TS20261120-AAAAA"] = make_case(
        CaseStatus.REJECTED, case_no="TS20261120-AAAAA", order_no="A0999"
    )

    await walk_to_arbitration(world)

    sent = world.all_sent()
    assert any("risk" in item.reply.params for item in sent if item.audience == "staff")
    outside = [item for item in sent if item.audience in ("buyer", "merchant")]
    assert outside
    for item in outside:
        assert "risk" not in json.dumps(item.payload)
        for locale in ("zh_CN", "en"):
            text = item.render(locale)
            for word in ("风险", "risk", "Risk", "score"):
                assert word not in text, (item.key, locale)


async def test_the_staff_chat_id_is_the_configured_one() -> None:
    world = NoticeWorld()

    await world.file()

    assert [item.chat_id for item in world.all_sent()] == [STAFF_CHAT]
