"""One deadline, one day: the buyer, the merchant and staff read the merchant's deadline alike."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.stories.kit import StoryFactory

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # Thursday 26 November, 11:00 in Shanghai
# 2 working days (Friday 27, Monday 30 November): the deadline is the midnight that ends Monday.
BY = "须在 2026-11-30（含当天）前答复"


async def test_buyer_merchant_and_staff_see_the_same_last_day_for_the_merchant_deadline(
    story: StoryFactory,
) -> None:
    s = await story(NOW)
    case_no = await s.file_complaint()
    await s.agent.click("转商家处理")
    await s.settle()

    assert f"商家{BY}" in s.agent.last.text  # the agent's confirmation
    assert f"商家{BY}" in s.buyer.last.text
    assert "请在 2026-11-30（含当天）前答复" in s.merchant.last.text
    await s.agent.send("/queue")
    assert f"{case_no} · 等待商家回复" in s.agent.last.text
    assert "2026-11-30（含当天）前" in s.agent.last.text
    await s.agent.send(f"/case {case_no}")
    card = next(h.text for h in reversed(s.agent.heard()) if "期限：" in h.text)
    assert "期限：2026-11-30（含当天）前" in card
    await s.buyer.send(case_no)
    assert "下一个期限：2026-11-30（含当天）前" in s.buyer.last.text
    # The midnight that ends the last day is never shown as a deadline of its own.
    everyone = [*s.agent.heard(), *s.buyer.heard(), *s.merchant.heard()]
    assert not [h.text for h in everyone if "2026-12-01 00:00" in h.text]
