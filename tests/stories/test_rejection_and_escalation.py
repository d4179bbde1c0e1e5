"""Review rejects the complaint; the buyer may take it to platform arbitration within 7 days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cases.model import CaseStatus
from tests.stories.kit import Stories, StoryFactory

pytestmark = pytest.mark.every_runtime

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # Thursday 26 November, 11:00 in Shanghai
REASON = "平台记录显示该卡密已于 11 月 25 日 21:14 成功兑换，兑换账号与买家一致。"


async def rejected(s: Stories) -> str:
    """The agent rejects the new case, giving the reason in a reply to the bot's question."""
    case_no = await s.file_complaint()
    await s.agent.click("驳回")
    await s.agent.reply(REASON)
    assert f"投诉 {case_no} 已驳回" in s.agent.last.text
    await s.settle()
    told, question = s.buyer.heard()[-2:]
    assert "请为投诉处理打分" in question.text  # a rejection finishes the case, for now
    assert "投诉未通过审核" in told.text
    assert REASON in told.text
    assert "在 2026-12-03（含当天）前申请平台仲裁" in told.text  # 7 days after Thursday
    assert "12315" in told.text  # the channels outside the platform, too
    assert "申请平台仲裁" in told.buttons
    return case_no


async def test_the_buyer_escalates_a_rejection_within_seven_days_and_arbitration_takes_it(
    story: StoryFactory,
) -> None:
    s = await story(NOW)
    case_no = await rejected(s)
    staff_heard = s.arbitrator.mark()

    await s.advance(timedelta(days=6))
    await s.buyer.click("申请平台仲裁")
    assert "已申请平台仲裁" in s.buyer.last.text
    await s.settle()

    assert await s.status(case_no) is CaseStatus.IN_ARBITRATION
    [needed] = s.arbitrator.heard(since=staff_heard)
    assert "需要仲裁" in needed.text
    assert case_no in needed.text
    assert "裁决：支持买家" in needed.buttons
    assert await s.history(case_no) == ["submit", "reject", "escalate"]


async def test_after_seven_days_the_escalate_button_is_refused_clearly_and_nothing_changes(
    story: StoryFactory,
) -> None:
    s = await story(NOW)
    case_no = await rejected(s)
    buyer_heard = s.buyer.mark()

    await s.advance(timedelta(days=8))
    assert s.buyer.heard(since=buyer_heard) == []  # the window closes silently
    history = await s.history(case_no)
    await s.buyer.click("申请平台仲裁")

    assert f"申请平台仲裁的期限已过，投诉 {case_no} 不能再申请仲裁" in s.buyer.last.text
    assert await s.status(case_no) is CaseStatus.REJECTED
    assert await s.history(case_no) == history
