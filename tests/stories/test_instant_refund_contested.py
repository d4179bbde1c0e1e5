"""Instant refund: a card code already used before the purchase is refunded at submit; the
merchant contests once it is paid, the review upholds the contest, and the buyer keeps the money."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cases.model import CaseStatus
from tests.stories.kit import MERCHANT_CODE, ORDER_NO, SHANGHAI, Stories, StoryFactory

pytestmark = pytest.mark.every_runtime

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # Thursday 26 November, 11:00 in Shanghai
POLICY = 'instant_refund = true\ninstant_refund_limit = "200.00"\n'
CONTEST = "卡密于 11 月 25 日 20:02 发放给买家，平台兑换记录里的时间是系统时区显示错误。"
RULING = "商家提供了发放记录和兑换日志，兑换发生在付款之后。"


async def platform_data(s: Stories) -> None:
    """The platform's export: when each code was redeemed, and the account's older order."""
    paid = (s.now - timedelta(hours=20)).astimezone(SHANGHAI)
    orders = s.tmp_path / "orders-redeemed.csv"
    orders.write_text(
        "order_no,buyer_account,merchant_code,product,category,amount,currency,paid_at,"
        "delivered_at,status,code_redeemed_at\n"
        f"{ORDER_NO},lihua_88,{MERCHANT_CODE},腾讯视频 VIP 月卡 卡密,card_code,100.00,CNY,"
        f"{paid.isoformat()},{(paid + timedelta(minutes=1)).isoformat()},delivered,"
        f"{(paid - timedelta(hours=3)).isoformat()}\n"
        f"KM202609010007,lihua_88,{MERCHANT_CODE},QQ 音乐 月卡 卡密,card_code,15.00,CNY,"
        f"{(paid - timedelta(days=86)).isoformat()},{(paid - timedelta(days=86)).isoformat()},"
        "delivered,\n",
        encoding="utf-8",
    )
    assert "新增 1 条，更新 1 条" in await s.operator("orders", "import", str(orders))


async def test_a_code_used_before_purchase_is_refunded_at_once_contested_and_kept_by_the_buyer(
    story: StoryFactory, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY, encoding="utf-8")
    s = await story(NOW, policy_file=policy)
    await platform_data(s)
    merchant_heard = s.merchant.mark()

    case_no = await s.file_complaint()

    assert await s.status(case_no) is CaseStatus.REFUND_PENDING
    [instant] = [h for h in s.buyer.heard() if "闪电退款已批准" in h.text]
    assert "平台数据显示该卡密在付款之前已被使用" in instant.text
    assert "平台最晚 2026-12-01（含当天）发起退款" in instant.text
    assert "不会向您追回" in instant.text
    staff_notice = s.agent.last
    assert "闪电退款（规则自动批准）" in staff_notice.text
    assert "90 天内被驳回 0 件" in staff_notice.text
    [told] = s.merchant.heard(since=merchant_heard)
    assert "退款完成后您会收到通知" in told.text

    await s.agent.click("确认已退款")
    await s.settle()
    assert await s.status(case_no) is CaseStatus.REFUNDED
    paid = s.merchant.last
    assert "闪电退款已完成" in paid.text
    assert "2026-12-01（含当天）前" in paid.text  # three working days after Thursday's payout

    await s.merchant.click("申诉这笔闪电退款")
    await s.merchant.send(CONTEST)
    assert "已提交申诉" in s.merchant.last.text
    await s.settle()
    assert await s.status(case_no) is CaseStatus.IN_REVIEW
    assert "您已收到的退款不受影响，不会被追回" in s.buyer.last.text
    contested = s.agent.last
    assert "待追回：100.00 元" in contested.text
    assert {"申诉成立", "申诉不成立"} <= set(contested.buttons)

    await s.agent.click("申诉成立")
    await s.agent.reply(RULING)
    await s.settle()

    assert await s.status(case_no) is CaseStatus.REJECTED
    upheld = [h for h in s.buyer.heard() if "商家申诉成立" in h.text][-1]
    assert "100.00 元 不会被追回，由平台向商家返还" in upheld.text
    assert "平台将向您返还 100.00 元" in s.merchant.last.text
    assert await s.history(case_no) == [
        "submit", "instant_refund", "confirm_refund", "merchant_contest", "uphold_contest",
    ]
    assert "哈希链全部一致" in await s.audit_verify()
