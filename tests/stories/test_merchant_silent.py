"""The merchant never answers: reminded 24 h and 2 h before, then the policy decides."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from cases.model import CaseStatus
from tests.stories.kit import Stories, StoryFactory, shanghai

pytestmark = pytest.mark.every_runtime

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # Thursday 26 November, 11:00 in Shanghai


async def sent_to_the_merchant(s: Stories) -> str:
    case_no = await s.file_complaint()
    await s.agent.click("转商家处理")
    await s.settle()
    # 2 working days from Thursday: Friday 27 and Monday 30 November, the whole of Monday.
    assert "请在 2026-11-30（含当天）前答复" in s.merchant.last.text
    return case_no


async def test_a_silent_merchant_is_reminded_on_the_last_day_then_the_full_refund_is_approved(
    story: StoryFactory,
) -> None:
    s = await story(NOW)
    case_no = await sent_to_the_merchant(s)
    merchant_heard, buyer_heard, staff_heard = s.merchant.mark(), s.buyer.mark(), s.agent.mark()

    await s.advance_to(shanghai(2026, 11, 29, 20, 59))
    assert s.merchant.heard(since=merchant_heard) == []  # nothing over the weekend till then

    await s.advance_to(shanghai(2026, 12, 1, 9, 0))
    reminder_24h, reminder_2h, outcome = s.merchant.heard(since=merchant_heard)
    assert reminder_24h.when == "2026-11-29 21:00"  # in the reminder hours, not at midnight
    assert reminder_2h.when == "2026-11-30 21:00"
    for reminder in (reminder_24h, reminder_2h):
        assert "投诉答复即将截止" in reminder.text
        assert "须在 2026-11-30（含当天）前答复" in reminder.text
        assert "逾期不答复，将直接按买家申请的金额（100.00 元）批准退款" in reminder.text
        assert "提出部分退款" in reminder.buttons
    assert outcome.when == "2026-12-01 00:00"
    assert "您没有在期限内答复这条投诉" in outcome.text
    assert "按买家申请的金额批准退款 100.00 元" in outcome.text

    assert await s.status(case_no) is CaseStatus.REFUND_PENDING
    [told] = s.buyer.heard(since=buyer_heard)
    assert "商家没有在期限内答复" in told.text
    assert "按您申请的金额批准退款 100.00 元" in told.text
    assert "平台最晚 2026-12-04（含当天）发起退款" in told.text  # 3 working days after Tue 1 Dec
    [staff_told] = s.agent.heard(since=staff_heard)
    assert "商家逾期未答复" in staff_told.text
    assert "确认已退款" in staff_told.buttons
    assert (await s.history(case_no))[-1] == "merchant_timeout"


async def test_with_the_escalate_policy_a_silent_merchant_sends_the_case_to_arbitration(
    story: StoryFactory, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('merchant_timeout = "escalate"\n', encoding="utf-8")
    s = await story(NOW, policy_file=policy)
    case_no = await sent_to_the_merchant(s)
    assert "逾期不答复，投诉将转平台仲裁" in s.merchant.last.text
    buyer_heard, staff_heard = s.buyer.mark(), s.agent.mark()

    await s.advance_to(shanghai(2026, 12, 1, 9, 0))
    assert await s.status(case_no) is CaseStatus.IN_ARBITRATION
    [told] = s.buyer.heard(since=buyer_heard)
    assert "商家没有在期限内答复，投诉已转平台仲裁" in told.text
    [staff_told] = s.arbitrator.heard(since=staff_heard)
    assert "需要仲裁" in staff_told.text
    assert "商家逾期未答复" in staff_told.text
    assert "裁决：支持买家" in staff_told.buttons
    assert "按平台规则已转平台仲裁" in s.merchant.last.text
    assert (await s.history(case_no))[-1] == "merchant_timeout"


async def test_buyer_merchant_and_staff_see_the_same_last_day_for_the_merchant_deadline(
    story: StoryFactory,
) -> None:
    s = await story(NOW)
    case_no = await sent_to_the_merchant(s)  # the merchant: "请在 2026-11-30（含当天）前答复"

    by = "商家须在 2026-11-30（含当天）前答复"
    assert by in s.agent.last.text  # the agent's confirmation in the staff chat
    assert by in s.buyer.last.text
    await s.agent.send("/queue")
    assert f"{case_no} · 等待商家答复" in s.agent.last.text
    assert "须在 2026-11-30（含当天）前处理" in s.agent.last.text
    await s.agent.send(f"/case {case_no}")
    card = next(h.text for h in reversed(s.agent.heard()) if "期限：" in h.text)
    assert "期限：2026-11-30（含当天）前" in card
    await s.buyer.send(case_no)
    assert "下一个期限：2026-11-30（含当天）前" in s.buyer.last.text
    # The midnight that ends the last day is never shown as a deadline of its own.
    everyone = [*s.agent.heard(), *s.buyer.heard(), *s.merchant.heard()]
    assert not [h.text for h in everyone if "2026-12-01 00:00" in h.text]
