"""Buttons are only requests: a press by the wrong person, or data no button offered, changes
nothing and gets a clear answer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cases.model import CaseStatus
from tests.stories.kit import Stories, StoryFactory

pytestmark = pytest.mark.every_runtime

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # Thursday 26 November, 11:00 in Shanghai


async def unchanged(s: Stories, case_no: str, history: list[str], queued: int) -> None:
    assert await s.status(case_no) is CaseStatus.SUBMITTED
    assert await s.history(case_no) == history
    assert len(await s.outbox()) == queued  # and nobody was told of anything


async def test_a_group_member_who_is_not_staff_cannot_approve_take_or_rule(
    story: StoryFactory,
) -> None:
    s = await story(NOW)
    case_no = await s.file_complaint()
    history, queued = await s.history(case_no), len(await s.outbox())

    await s.outsider.click("按申请金额批准退款")  # the real button on the group's new-case notice
    assert s.alerts()[-1] == "此操作仅限平台工作人员，未做任何更改。"
    for data in (
        f"st:appf:{case_no}",
        f"st:take:{case_no}",
        f"st:rej:{case_no}",
        f"st:rb:{case_no}",
    ):
        await s.outsider.forge(data)
        assert s.alerts()[-1] == "此操作仅限平台工作人员，未做任何更改。", data
    await unchanged(s, case_no, history, queued)


async def test_staff_and_merchant_data_sent_from_a_buyers_private_chat_change_nothing(
    story: StoryFactory,
) -> None:
    s = await story(NOW)
    case_no = await s.file_complaint()
    history, queued = await s.history(case_no), len(await s.outbox())

    await s.buyer.forge(f"st:appf:{case_no}")
    assert "此操作仅限平台工作人员，未做任何更改" in s.buyer.last.text
    await s.buyer.forge(f"mc:acc:{case_no}")
    assert "此 Telegram 账号还没有绑定商家" in s.buyer.last.text
    # The merchant cannot act as staff, nor withdraw the buyer's case.
    await s.merchant.forge(f"st:appf:{case_no}")
    assert "此操作仅限平台工作人员，未做任何更改" in s.merchant.last.text
    await s.merchant.forge(f"b:wdy:{case_no}")
    assert "没有找到" in s.merchant.last.text
    # An agent may review, but ruling in arbitration is the arbitrator's.
    await s.agent.forge(f"st:rb:{case_no}")
    assert "仲裁员" in s.alerts()[-1]
    await unchanged(s, case_no, history, queued)
