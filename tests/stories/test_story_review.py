"""Stories of the review: evidence asked (on time, late), rejection and escalation, withdrawal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from cases.model import CaseStatus
from tests.fakebotapi import FakeBotAPI
from tests.stories.story_kit import BUYER, PHOTO, STAFF_GROUP, story

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # Thursday 11:00 in Shanghai
CHAT_LOG = b"%PDF-1.4 chat with the merchant"


async def test_evidence_asked_for_and_supplied_on_time(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    async with story(tmp_path, fake_api, NOW) as s:
        case_no = await s.file_complaint()
        await s.agent.send(f"/request {case_no} 请补充与商家的聊天记录截图")
        await s.deliver()
        assert "请补充与商家的聊天记录截图" in s.received(BUYER)[-1]
        await s.advance(timedelta(days=1))
        await s.buyer.click(f"b:ev:{case_no}")
        await s.buyer.document(CHAT_LOG, "chat.pdf", "application/pdf")
        await s.buyer.click(f"b:evd:{case_no}")
        await s.deliver()
        assert await s.status(case_no) is CaseStatus.IN_REVIEW
        assert any(case_no in text for text in s.received(STAFF_GROUP)[-2:])
        async with s.harness.deps.uow() as uow:
            assert len(await uow.evidence.list(case_no)) == 2
        assert await s.actions(case_no) == ["submit", "request_evidence", "supply_evidence"]


async def test_evidence_not_supplied_in_time_returns_the_case_to_review(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    async with story(tmp_path, fake_api, NOW) as s:
        case_no = await s.file_complaint()
        await s.agent.send(f"/request {case_no} 请补充付款凭证")
        await s.deliver()
        heard = len(s.received(BUYER))
        await s.advance(timedelta(days=3, hours=22))
        assert await s.status(case_no) is CaseStatus.IN_REVIEW
        assert (await s.actions(case_no))[-1] == "evidence_timeout"
        told = s.received(BUYER)[heard:]
        assert len(told) >= 2  # a reminder before the deadline, then what happened
        # Too late now: the button on the old request no longer adds anything.
        await s.press(s.buyer, f"b:ev:{case_no}")
        await s.buyer.photo(PHOTO + b"late")
        assert (await s.actions(case_no))[-1] == "evidence_timeout"


async def test_review_rejects_the_buyer_escalates_within_the_window(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    async with story(tmp_path, fake_api, NOW) as s:
        case_no = await s.file_complaint()
        await s.agent.send(f"/reject {case_no} 订单显示卡密已成功兑换")
        await s.deliver()
        told = s.received(BUYER)[-1]
        assert "订单显示卡密已成功兑换" in told
        assert "12315" in told  # the outside channels, in the buyer's language
        await s.advance(timedelta(days=2))
        await s.buyer.click(f"b:esc:{case_no}")
        await s.deliver()
        assert await s.status(case_no) is CaseStatus.IN_ARBITRATION
        assert any(case_no in text for text in s.received(STAFF_GROUP)[-2:])


async def test_after_the_escalation_window_the_rejection_stands(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    async with story(tmp_path, fake_api, NOW) as s:
        case_no = await s.file_complaint()
        await s.agent.send(f"/reject {case_no} 订单显示卡密已成功兑换")
        await s.advance(timedelta(days=8))
        before = await s.actions(case_no)
        await s.press(s.buyer, f"b:esc:{case_no}")
        assert await s.status(case_no) is CaseStatus.REJECTED
        assert await s.actions(case_no) == before
        assert s.buyer.last_text()  # a clear answer, not silence


async def test_the_buyer_withdraws_before_a_decision_but_not_after(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    async with story(tmp_path, fake_api, NOW) as s:
        case_no = await s.file_complaint()
        await s.buyer.click(f"s:{case_no}")  # "where is my case?" offers what can be done
        await s.buyer.click(f"b:wd:{case_no}")
        assert await s.status(case_no) is CaseStatus.SUBMITTED  # asks to confirm first
        await s.buyer.click(f"b:wdy:{case_no}")
        assert await s.status(case_no) is CaseStatus.WITHDRAWN

    async with story(tmp_path / "decided", fake_api, NOW) as s:
        case_no = await s.file_complaint()
        await s.agent.send(f"/approve {case_no}")
        await s.press(s.buyer, f"b:wd:{case_no}")  # a button from before the decision
        await s.press(s.buyer, f"b:wdy:{case_no}")
        assert await s.status(case_no) is CaseStatus.REFUND_PENDING
        assert s.buyer.last_text()
