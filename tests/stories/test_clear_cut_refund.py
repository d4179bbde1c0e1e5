"""A clear-cut refund: the buyer files with a photo, staff approve it in full and pay it out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cases.model import CaseStatus
from tests.stories.kit import STAFF_GROUP, StoryFactory

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # Thursday 26 November, 11:00 in Shanghai

# On each runtime: the whole path through the Bot API, a photo downloaded, buttons pressed and
# retired, the staff group told (tests/conftest.py says why most stories run on one).
pytestmark = pytest.mark.every_runtime


async def test_a_clear_cut_complaint_is_approved_in_full_paid_and_its_history_verifies(
    story: StoryFactory,
) -> None:
    s = await story(NOW)
    merchant_heard = s.merchant.mark()
    case_no = await s.file_complaint()

    # The outbox sender brings the staff group the new case, with the moves of a review.
    new_case = s.agent.last
    [queued] = [row for row in await s.outbox() if row.chat_id == STAFF_GROUP]
    assert queued.message_id == new_case.message_id
    assert case_no in new_case.text
    assert "申请退款：100.00 元（原路返回）" in new_case.text
    assert "审核期限：2026-12-01" in new_case.text  # 3 working days: Fri 27, Mon 30, Tue 1
    assert {"接单", "查看证据", "要求补充材料", "转商家处理", "按申请金额批准退款", "驳回"} <= set(
        new_case.buttons
    )
    # The evidence downloader has kept the buyer's photo, fingerprinted.
    [photo] = await s.evidence(case_no)
    assert photo.sha256 is not None
    assert photo.stored_path is not None

    await s.agent.click("接单")
    assert "您已接手投诉" in s.agent.last.text
    approving = s.agent.mark()
    await s.agent.click("按申请金额批准退款")
    await s.settle()

    approved = s.buyer.last
    assert case_no in approved.text
    assert "退款 100.00 元" in approved.text
    assert "原路返回到您付款的账户" in approved.text
    assert "平台最晚 2026-12-01（含当天）发起退款" in approved.text  # 3 working days from Thursday
    # The answer to the press and the payout card reach the staff group in the order queued.
    (payout,) = [m for m in s.agent.heard(since=approving) if "确认已退款" in m.buttons]
    assert "退款金额：100.00 元（原路返回）" in payout.text

    await s.agent.click("确认已退款")
    await s.settle()
    assert await s.status(case_no) is CaseStatus.REFUNDED
    done, question = s.buyer.heard()[-2:]
    assert "退款已完成" in done.text
    assert "100.00 元 已原路返回" in done.text
    assert "请为投诉处理打分" in question.text  # right after the closing notice
    await s.buyer.click("5 分")
    assert "打了 5 分" in s.buyer.last.text
    assert s.merchant.heard(since=merchant_heard) == []  # never asked, so never bothered

    assert await s.history(case_no) == ["submit", "take", "approve_refund", "confirm_refund"]
    # The four steps and the seal of the stored photo.
    assert "1 件投诉、5 条记录的哈希链全部一致" in await s.audit_verify()
