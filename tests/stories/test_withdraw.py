"""The buyer withdraws a case: asked to confirm first, and only until it is decided."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cases.model import CaseStatus
from tests.stories.kit import StoryFactory

pytestmark = pytest.mark.every_runtime

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # Thursday 26 November, 11:00 in Shanghai


async def test_the_buyer_withdraws_before_a_decision_after_confirming(
    story: StoryFactory,
) -> None:
    s = await story(NOW)
    case_no = await s.file_complaint()
    await s.agent.click("接单")
    await s.settle()
    staff_heard = s.agent.mark()

    await s.buyer.send(case_no)  # "where is my case?" shows it, with the moves open to the buyer
    assert case_no in s.buyer.last.text
    assert "撤回投诉" in s.buyer.last.buttons
    await s.buyer.click("撤回投诉")
    assert f"确定要撤回投诉 {case_no}" in s.buyer.last.text
    assert s.buyer.last.buttons == ("确认撤回", "不撤回，查看进度")
    assert await s.status(case_no) is CaseStatus.IN_REVIEW  # nothing yet

    await s.buyer.click("确认撤回")
    assert "投诉已撤回" in s.buyer.last.text
    await s.settle()
    assert await s.status(case_no) is CaseStatus.WITHDRAWN
    [told] = s.agent.heard(since=staff_heard)
    assert "买家撤回了投诉" in told.text
    assert await s.history(case_no) == ["submit", "take", "withdraw"]


async def test_withdrawing_after_the_refund_is_approved_is_refused_and_changes_nothing(
    story: StoryFactory,
) -> None:
    s = await story(NOW)
    case_no = await s.file_complaint()
    await s.agent.click("接单")
    await s.settle()
    await s.agent.click("按申请金额批准退款")
    await s.settle()
    history = await s.history(case_no)

    # The button on the earlier "in review" notice is still there; pressing it now …
    await s.buyer.click("撤回投诉")
    assert "当前状态为“待退款”，这项操作已不能进行" in s.buyer.last.text
    # … and a confirmation pressed from a stale screen is refused the same way.
    await s.buyer.forge(f"b:wdy:{case_no}")
    assert "当前状态为“待退款”，这项操作已不能进行" in s.buyer.last.text

    assert await s.status(case_no) is CaseStatus.REFUND_PENDING
    assert await s.history(case_no) == history
