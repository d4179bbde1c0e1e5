"""A year the State Council has not published yet: Spring Festival 2027 still does not count.

The published holiday data ends with 2026; the bot computes 2027's lunar holidays itself, so a
complaint filed the day before 除夕 (Friday 5 February 2027) is due after the festival, and the
merchant's working days do not run out while the whole country is on holiday.
"""

from __future__ import annotations

import pytest

from cases.model import CaseStatus
from tests.stories.kit import StoryFactory, shanghai

pytestmark = pytest.mark.every_runtime

# Thursday 4 February 2027, the last working day before 除夕.
START = shanghai(2027, 2, 4, 10, 0)


async def test_a_case_filed_before_spring_festival_2027_is_due_after_the_holiday(
    story: StoryFactory,
) -> None:
    s = await story(START)
    case_no = await s.file_complaint()
    # 5-12 February (除夕 to 初七) and the weekend after are off: 15, 16 and 17 February.
    assert "审核期限：2027-02-17" in s.agent.last.text

    await s.agent.click("转商家处理")
    await s.settle()
    assert "请在 2027-02-16（含当天）前答复" in s.merchant.last.text
    heard = s.merchant.mark()

    await s.advance_to(shanghai(2027, 2, 14, 23, 59))
    assert s.merchant.heard(since=heard) == []  # no reminder during the holiday
    assert await s.status(case_no) is CaseStatus.AWAITING_MERCHANT

    await s.advance_to(shanghai(2027, 2, 17, 0, 0))
    assert await s.status(case_no) is CaseStatus.REFUND_PENDING
