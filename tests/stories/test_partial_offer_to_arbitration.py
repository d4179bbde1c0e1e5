"""The merchant offers part of the money, the buyer declines and escalates, arbitration rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cases.model import CaseStatus
from tests.stories.kit import StoryFactory

pytestmark = pytest.mark.every_runtime

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # Thursday 26 November, 11:00 in Shanghai


async def test_a_declined_partial_offer_goes_to_arbitration_which_rules_for_the_buyer(
    story: StoryFactory,
) -> None:
    s = await story(NOW)
    case_no = await s.file_complaint()

    await s.agent.click("转商家处理")
    await s.settle()
    asked = s.merchant.last
    assert "收到一条新投诉，请答复" in asked.text
    assert case_no in asked.text
    assert "申请退款：100.00 元" in asked.text
    assert "请在 2026-11-30（含当天）前答复" in asked.text  # 2 working days: Fri, Mon
    assert asked.buttons == ("同意按申请金额退款", "提出部分退款", "拒绝并说明理由")
    for contact in ("lihua_88", "李华", str(s.buyer.id)):
        assert contact not in asked.text  # the merchant never learns who the buyer is
    assert "已转商家处理" in s.buyer.last.text

    await s.advance(timedelta(hours=5))
    await s.merchant.click("提出部分退款")
    assert "请输入愿意退给买家的金额" in s.merchant.last.text
    await s.merchant.send("60.00")
    assert "已向买家提出部分退款 60.00 元" in s.merchant.last.text
    await s.settle()
    offer = s.buyer.last
    assert "商家愿意退款 60.00 元（您申请的是 100.00 元）" in offer.text
    assert {"接受方案", "拒绝方案"} <= set(offer.buttons)
    assert "商家提出部分退款 60.00 元" in s.agent.last.text

    await s.buyer.click("拒绝方案")
    declined = s.buyer.last
    assert "您已拒绝商家的部分退款方案" in declined.text
    assert "申请平台仲裁" in declined.buttons
    await s.settle()
    assert "买家拒绝了您的部分退款方案" in s.merchant.last.text
    await s.buyer.click("申请平台仲裁")
    assert "已申请平台仲裁" in s.buyer.last.text
    await s.settle()
    assert await s.status(case_no) is CaseStatus.IN_ARBITRATION
    needed = s.arbitrator.last
    assert "需要仲裁" in needed.text
    assert "买家申请了平台仲裁" in needed.text
    assert {"裁决：支持买家", "裁决：支持商家"} <= set(needed.buttons)
    assert "买家已申请平台仲裁" in s.merchant.last.text

    await s.arbitrator.click("裁决：支持买家")
    assert "写明退款金额，上限 100.00 元" in s.arbitrator.last.text
    ruling = s.agent.mark()
    await s.arbitrator.reply("80.00")
    assert "支持买家，退款 80.00 元" in s.arbitrator.last.text
    await s.settle()

    case = await s.case(case_no)
    assert case.status is CaseStatus.REFUND_PENDING
    assert case.approved_amount == 8000
    ruled = s.buyer.last
    assert "仲裁结果：支持您的投诉" in ruled.text
    assert "平台批准退款 80.00 元" in ruled.text
    assert "平台最晚 2026-12-01（含当天）发起退款" in ruled.text  # 3 working days from Thursday
    assert "平台批准向买家退款 80.00 元" in s.merchant.last.text
    # The payout card reaches the staff group beside the answer to the ruling, in queue order.
    assert [m for m in s.agent.heard(since=ruling) if "确认已退款" in m.buttons]
    assert await s.history(case_no) == [
        "submit",
        "send_to_merchant",
        "merchant_offer",
        "decline_offer",
        "escalate",
        "rule_for_buyer",
    ]
