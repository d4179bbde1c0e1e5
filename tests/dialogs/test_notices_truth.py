"""The notices say what really happens to the buyer's money: silence on an offer, capped requests.

An unanswered partial offer closes the case with no refund (negotiating → closed), so the buyer is
told so before the deadline and in plain words after it. When the merchant accepts or stays
silent, the refund is the amount the buyer asked for, which may be capped below the order amount:
no text may call it a full refund then.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from cases.lifecycle import Action
from cases.model import CaseStatus, Reason, RefundMethod
from cases.policy import MerchantTimeout, Policy
from dialogs.support import parse_support_contact
from tests.dialogs.notices_support import NoticeWorld, Sent, by_audience

A = Action
CAPPED = Policy(refund_cap_ratio=Decimal("0.9"))  # the 30.00 order may refund at most 27.00


async def offered(policy: Policy | None = None) -> NoticeWorld:
    world = NoticeWorld(policy)
    await world.file()
    await world.step(A.TAKE, "agent")
    await world.step(A.SEND_TO_MERCHANT, "agent")
    await world.step(A.MERCHANT_OFFER, "merchant", amount=2000)
    return world


async def test_the_offer_notice_says_an_unanswered_offer_closes_the_case_without_refund() -> None:
    world = await offered()

    buyer = [item for item in world.all_sent() if item.key == "notice.buyer.offer_made"][-1]

    assert "逾期不答复" in buyer.render("zh_CN")
    assert "不会退款" in buyer.render("zh_CN")
    assert "with no refund" in buyer.render("en")


async def test_the_offer_reminder_says_what_silence_means() -> None:
    world = await offered()
    world.mark()

    await world.run_jobs_until(world.case.next_deadline_at - timedelta(hours=1))  # type: ignore[operator]

    reminders = [item for item in world.new_sent() if item.key == "notice.remind.offer"]
    assert reminders
    assert all("不会退款" in item.render("zh_CN") for item in reminders)
    assert all("with no refund" in item.render("en") for item in reminders)


async def expired(world: NoticeWorld) -> dict[str, Sent]:
    world.mark()
    await world.step(A.ESCALATION_EXPIRED, "system")
    assert world.case.status is CaseStatus.CLOSED
    assert world.case.approved_amount is None
    return by_audience(world.new_sent())


async def test_a_lapsed_offer_is_told_as_closed_with_no_refund_not_as_settled() -> None:
    world = await offered()

    sent = await expired(world)

    zh, en = sent["buyer"].render("zh_CN"), sent["buyer"].render("en")
    assert "部分退款方案（20.00 元），方案已失效" in zh
    assert "未退款" in zh
    assert "按商家的答复" not in zh
    assert "the offer has lapsed" in en
    assert "with no refund" in en
    assert "12315" in zh  # the outcome went against the buyer: the outside channels follow
    staff = sent["staff"].render("zh_CN")
    assert "未退款" in staff
    assert "方案已失效" in staff


async def test_an_arbitration_window_that_passes_after_a_decline_says_no_refund() -> None:
    world = await offered()
    await world.step(A.DECLINE_OFFER, "buyer")

    sent = await expired(world)

    zh = sent["buyer"].render("zh_CN")
    assert "申请平台仲裁的期限已过" in zh
    assert "未退款" in zh
    assert "方案已失效" not in zh
    assert "with no refund" in sent["buyer"].render("en")


async def test_a_silent_merchant_on_a_capped_request_approves_what_was_asked_not_in_full() -> None:
    world = NoticeWorld(CAPPED)
    await world.file()
    await world.step(A.TAKE, "agent")
    world.mark()
    await world.step(A.SEND_TO_MERCHANT, "agent")
    asked = by_audience(world.new_sent())

    await world.step(A.MERCHANT_TIMEOUT, "system")

    told = by_audience(world.new_sent())
    assert world.case.approved_amount == 2700
    for item in (asked["buyer"], asked["merchant"], told["buyer"], told["merchant"]):
        zh, en = item.render("zh_CN"), item.render("en")
        assert "全额" not in zh, item.key
        assert "full refund" not in en, item.key
        assert "27.00" in zh, item.key
    assert "按您申请的金额" in told["buyer"].render("zh_CN")
    assert "按买家申请的金额" in told["merchant"].render("zh_CN")


async def test_the_merchants_accept_button_names_the_amount_asked_for() -> None:
    world = NoticeWorld(Policy(merchant_timeout=MerchantTimeout.ESCALATE))
    await world.file()
    await world.step(A.TAKE, "agent")
    world.mark()
    await world.step(A.SEND_TO_MERCHANT, "agent")

    merchant = by_audience(world.new_sent())["merchant"]

    labels = [button.label for row in merchant.reply.buttons for button in row]
    assert "notice.btn.m_accept" in labels
    assert "按买家申请的金额退款" in merchant.render("zh_CN")
    assert "全额" not in merchant.render("zh_CN")


async def test_platform_arbitration_is_named_the_platforms_own_handling_not_legal_one() -> None:
    world = NoticeWorld()
    await world.file()
    await world.step(A.TAKE, "agent")
    await world.step(A.REJECT, "agent", note="证据不足")
    world.mark()
    await world.step(A.ESCALATE, "buyer")
    escalated = by_audience(world.new_sent())["buyer"]

    await world.step(A.RULE_FOR_MERCHANT, "arbitrator", note="商家已证明发货")

    ruled = by_audience(world.new_sent())["buyer"]
    for item in (escalated, ruled):
        zh, en = item.render("zh_CN"), item.render("en")
        assert "不是法律意义上的仲裁" in zh, item.key
        assert "人民法院" in zh, item.key
        assert "not arbitration in the legal sense" in en, item.key
    assert "最终处理结果" not in ruled.render("zh_CN")
    assert "www.12315.cn" in ruled.render("zh_CN")
    assert "www.12315.cn" in ruled.render("en")
    assert "110" not in ruled.render("zh_CN")  # not a fraud complaint


async def test_a_suspected_fraud_points_to_the_police_and_the_anti_fraud_line() -> None:
    world = NoticeWorld()
    await world.file()
    world.store.cases[world.case_no] = replace(world.case, reason=Reason.FRAUD)
    await world.step(A.TAKE, "agent")
    world.mark()

    await world.step(A.REJECT, "agent", note="证据不足")

    rejected = by_audience(world.new_sent())["buyer"]
    for locale in ("zh_CN", "en"):
        text = rejected.render(locale)
        assert "12315" in text
        assert "<b>110</b>" in text
        assert "<b>96110</b>" in text


@pytest.mark.parametrize(
    ("method", "channel_clause"), [(RefundMethod.ORIGINAL, True), (RefundMethod.BALANCE, False)]
)
async def test_an_approved_refund_says_when_the_platform_pays_not_when_money_arrives(
    method: RefundMethod, channel_clause: bool
) -> None:
    world = NoticeWorld()
    await world.file()
    world.store.cases[world.case_no] = replace(world.case, refund_method=method)
    await world.step(A.TAKE, "agent")
    world.mark()

    await world.step(A.APPROVE_REFUND, "agent", amount=2500)

    buyer = by_audience(world.new_sent())["buyer"]
    zh, en = buyer.render("zh_CN"), buyer.render("en")
    assert "到账。" not in zh  # the old promise: "最晚 X 到账。"
    assert "发起退款" in zh
    assert ("以支付渠道为准" in zh) is channel_clause
    assert "The platform pays it out no later than" in en
    assert ("depends on the payment channel" in en) is channel_clause


async def test_the_staff_hear_the_cap_rule_when_it_lowered_the_request() -> None:
    world = NoticeWorld(CAPPED)
    world.mark()

    await world.file()

    staff = by_audience(world.new_sent())["staff"]
    assert staff.reply.params["cap_rule"] == {"percent": "90", "limit": None, "cap": 2700}
    rule = "按平台规则，单笔退款不超过订单金额的 90%，本订单最多可退 27.00 元。"
    assert rule in staff.render("zh_CN")
    assert "one refund is at most 90% of the order amount" in staff.render("en")


async def test_an_uncapped_request_quotes_no_cap_rule_to_staff() -> None:
    world = NoticeWorld()
    world.mark()

    await world.file()

    staff = by_audience(world.new_sent())["staff"]
    assert staff.reply.params["cap_rule"] is None
    assert "按平台规则" not in staff.render("zh_CN")


async def paid(world: NoticeWorld) -> Sent:
    await world.file()
    await world.step(A.TAKE, "agent")
    await world.step(A.APPROVE_REFUND, "agent", amount=2500)
    world.mark()
    await world.step(A.CONFIRM_REFUND, "agent")
    return by_audience(world.new_sent())["buyer"]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("@kameng_kefu", '<a href="https://t.me/kameng_kefu">@kameng_kefu</a>'),
        ("https://help.example.com/kefu", '<a href="https://help.example.com/kefu">'),
        ("400-123-4567", "400-123-4567"),
    ],
)
async def test_a_refund_that_has_not_arrived_sends_the_buyer_to_the_support_contact(
    raw: str, shown: str
) -> None:
    world = NoticeWorld()
    world.notices.support = parse_support_contact(raw)

    refunded = await paid(world)

    assert f"请带上投诉编号联系平台客服：{shown}" in refunded.render("zh_CN")
    assert shown in refunded.render("en")


async def test_without_a_support_contact_the_buyer_is_told_what_the_bot_can_do() -> None:
    refunded = await paid(NoticeWorld())

    zh = refunded.render("zh_CN")
    assert "联系客服" not in zh
    assert "发送投诉编号联系" not in zh  # a case number only shows the status
    assert "获取案卷" in zh
    assert "send us the case number" not in refunded.render("en")
    n = refunded.reply.params['case_no']
    assert [f"b:file:{n}", f"b:dos:{n}"] in refunded.button_data
