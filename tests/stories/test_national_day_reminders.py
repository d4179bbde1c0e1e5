"""Working days follow the mainland calendar: the National Day week does not count, and the
merchant is reminded only when the deadline is near, not during the holiday nor at night."""

from __future__ import annotations

import pytest

from cases.model import CaseStatus
from tests.stories.kit import StoryFactory, shanghai

pytestmark = pytest.mark.every_runtime

# Wednesday 30 September 2026, the last working day before the holiday of 1-7 October.
START = shanghai(2026, 9, 30, 10, 0)


async def test_a_case_sent_to_the_merchant_before_national_day_is_due_after_the_holiday(
    story: StoryFactory,
) -> None:
    s = await story(START)
    case_no = await s.file_complaint()
    # Review: Thursday 8, Friday 9 and Saturday 10 October, a make-up working day (调休).
    assert "审核期限：2026-10-10" in s.agent.last.text

    await s.agent.click("转商家处理")
    await s.settle()
    # 2 working days: 1-7 October are off, so the answer is due by the end of 9 October.
    assert "请在 2026-10-09（含当天）前答复" in s.merchant.last.text
    heard = {p.name: p.mark() for p in (s.buyer, s.merchant, s.agent)}

    await s.advance_to(shanghai(2026, 10, 8, 20, 59))
    for person in (s.buyer, s.merchant, s.agent):
        assert person.heard(since=heard[person.name]) == [], person.name  # a quiet holiday

    await s.advance_to(shanghai(2026, 10, 10, 9, 0))
    reminder_24h, reminder_2h, outcome = s.merchant.heard(since=heard[s.merchant.name])
    # 24 h and 2 h before midnight fall at 00:00 and 22:00, outside the reminder hours
    # (09:00-21:00): each goes out at 21:00 the evening before instead, never later.
    assert reminder_24h.when == "2026-10-08 21:00"
    assert reminder_2h.when == "2026-10-09 21:00"
    assert all("2026-10-09（含当天）前答复" in r.text for r in (reminder_24h, reminder_2h))
    assert outcome.when == "2026-10-10 00:00"
    assert "按买家申请的金额批准退款 100.00 元" in outcome.text
    assert await s.status(case_no) is CaseStatus.REFUND_PENDING
    # Approved as Saturday 10 October begins; its 3 working days are Monday 12 to Wednesday 14.
    assert "平台最晚 2026-10-14（含当天）发起退款" in s.buyer.last.text
