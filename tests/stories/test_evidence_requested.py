"""Staff ask the buyer for more evidence (补充材料): supplied in time, or the window runs out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cases.model import CaseStatus
from tests.stories.kit import PHOTO, Stories, StoryFactory, shanghai

pytestmark = pytest.mark.every_runtime

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # Thursday 26 November, 11:00 in Shanghai
REQUEST = "请补充与商家的聊天记录截图，以及兑换失败时的提示截图"


async def request_evidence(s: Stories, case_no: str) -> None:
    """The agent presses "ask for evidence" on the new case and answers the bot's question."""
    await s.agent.click("要求补充材料")
    assert "请回复本条消息" in s.agent.last.text
    await s.agent.reply(REQUEST)
    assert f"已通知买家为投诉 {case_no} 补充材料" in s.agent.last.text
    await s.settle()


async def test_evidence_supplied_in_time_returns_the_case_to_review_and_staff_hear(
    story: StoryFactory,
) -> None:
    s = await story(NOW)
    case_no = await s.file_complaint()
    await request_evidence(s, case_no)

    asked = s.buyer.last
    assert "请补充材料" in asked.text
    assert REQUEST in asked.text
    assert "2026-11-29（含当天）前" in asked.text  # 3 calendar days after Thursday
    assert "补充材料" in asked.buttons
    assert await s.status(case_no) is CaseStatus.AWAITING_EVIDENCE

    await s.advance(timedelta(days=1))  # Friday: the buyer finds the screenshots
    staff_heard = s.agent.mark()
    await s.buyer.click("补充材料")
    assert REQUEST in s.buyer.last.text  # the upload prompt repeats what staff asked for
    await s.buyer.photo(PHOTO + b" and the chat with the merchant")
    await s.buyer.click("提交补充材料")
    assert "已收到补充材料" in s.buyer.last.text
    await s.settle()

    assert await s.status(case_no) is CaseStatus.IN_REVIEW
    [told] = s.agent.heard(since=staff_heard)
    assert "买家已补充材料" in told.text
    assert "现有证据 2 个文件" in told.text
    assert {"查看证据", "按申请金额批准退款", "驳回"} <= set(told.buttons)
    evidence = await s.evidence(case_no)
    assert len(evidence) == 2
    assert all(item.sha256 for item in evidence)  # both downloaded and fingerprinted
    assert await s.history(case_no) == ["submit", "request_evidence", "supply_evidence"]


async def test_evidence_not_supplied_in_time_returns_the_case_to_review_after_reminders(
    story: StoryFactory,
) -> None:
    s = await story(NOW)
    case_no = await s.file_complaint()
    await request_evidence(s, case_no)
    buyer_heard, staff_heard = s.buyer.mark(), s.agent.mark()

    await s.advance_to(shanghai(2026, 11, 30, 1, 0))
    reminder_24h, reminder_2h, missed = s.buyer.heard(since=buyer_heard)
    assert "补充材料即将截止" in reminder_24h.text
    # 24 h and 2 h before the end of the day, moved into the reminder hours (till 21:00).
    assert reminder_24h.when == "2026-11-28 21:00"
    assert reminder_2h.when == "2026-11-29 21:00"
    assert "2026-11-29" in reminder_2h.text
    assert "补充材料" in reminder_2h.buttons
    assert "补充材料期限已过" in missed.text
    assert missed.when == "2026-11-30 00:00"
    [staff_told] = s.agent.heard(since=staff_heard)
    assert "买家未在期限内补充材料" in staff_told.text
    assert await s.status(case_no) is CaseStatus.IN_REVIEW
    history = await s.history(case_no)
    assert history == ["submit", "request_evidence", "evidence_timeout"]

    # Too late: the reminder's button now only says the case no longer waits for files.
    await s.buyer.click("补充材料")
    assert "现在不需要补充材料" in s.buyer.last.text
    await s.buyer.photo(PHOTO + b" late")
    assert await s.history(case_no) == history
    assert len(await s.evidence(case_no)) == 1
