"""Stories that end in a refund: clear-cut, partial offer to arbitration, merchant silence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from cases.lifecycle import Action
from cases.model import CaseStatus
from tests.fakebotapi import FakeBotAPI
from tests.stories.story_kit import BUYER, MERCHANT, STAFF_GROUP, story

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # Thursday 11:00 in Shanghai


async def test_a_clear_cut_refund(tmp_path: Path, fake_api: FakeBotAPI) -> None:
    async with story(tmp_path, fake_api, NOW) as s:
        case_no = await s.file_complaint()
        assert any(case_no in text for text in s.received(STAFF_GROUP))  # the new-case card

        await s.agent.click(f"st:take:{case_no}")
        await s.agent.click(f"st:appf:{case_no}")
        await s.deliver()
        assert await s.status(case_no) is CaseStatus.REFUND_PENDING
        told = s.received(BUYER)[-1]
        assert case_no in told
        assert "100.00" in told

        await s.agent.click(f"st:paid:{case_no}")
        await s.deliver()
        assert await s.status(case_no) is CaseStatus.REFUNDED
        assert case_no in s.received(BUYER)[-1]
        assert await s.actions(case_no) == [
            "submit", "take", "approve_refund", "confirm_refund",
        ]


async def test_merchant_offers_part_buyer_declines_arbitration_rules_for_the_buyer(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    async with story(tmp_path, fake_api, NOW) as s:
        case_no = await s.file_complaint()
        await s.agent.send(f"/take {case_no}")
        await s.agent.send(f"/tomerchant {case_no}")
        await s.deliver()
        assert case_no in s.received(MERCHANT)[-1]
        assert "lihua_88" not in s.received(MERCHANT)[-1]  # no buyer contact data

        await s.merchant.click(f"mc:off:{case_no}")
        await s.merchant.send("60.00")
        await s.deliver()
        assert "60.00" in s.received(BUYER)[-1]
        await s.buyer.click(f"b:dec:{case_no}")
        await s.buyer.click(f"b:esc:{case_no}")
        await s.deliver()
        assert await s.status(case_no) is CaseStatus.IN_ARBITRATION

        await s.arbitrator.send(f"/rule {case_no} buyer 80.00")
        await s.deliver()
        case = await s.case(case_no)
        assert case.status is CaseStatus.REFUND_PENDING
        assert case.approved_amount == 8000
        assert "80.00" in s.received(BUYER)[-1]
        assert await s.actions(case_no) == [
            "submit", "take", "send_to_merchant", "merchant_offer", "decline_offer", "escalate",
            "rule_for_buyer",
        ]


async def test_merchant_silence_approves_the_full_refund_after_reminders(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    async with story(tmp_path, fake_api, NOW) as s:
        case_no = await s.file_complaint()
        await s.agent.send(f"/tomerchant {case_no}")
        await s.deliver()
        heard = len(s.received(MERCHANT))
        # Sent on Thursday 26 Nov: 2 working days → the end of Monday 30 Nov (Shanghai).
        await s.advance(timedelta(days=3, hours=12))  # Sunday 29 Nov, 23:00 in Shanghai
        assert s.received(MERCHANT)[heard:] == []
        assert await s.status(case_no) is CaseStatus.AWAITING_MERCHANT
        await s.advance(timedelta(days=1, hours=12))
        reminders = s.received(MERCHANT)[heard:]
        assert len(reminders) >= 2  # 24 h and 2 h before
        assert all(case_no in text for text in reminders)
        assert await s.status(case_no) is CaseStatus.REFUND_PENDING
        assert (await s.actions(case_no))[-1] == Action.MERCHANT_TIMEOUT.value
        assert "100.00" in s.received(BUYER)[-1]


async def test_with_the_escalate_policy_merchant_silence_goes_to_arbitration(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('merchant_timeout = "escalate"\n', encoding="utf-8")
    async with story(tmp_path, fake_api, NOW, policy_file=policy) as s:
        case_no = await s.file_complaint()
        await s.agent.send(f"/tomerchant {case_no}")
        await s.advance(timedelta(days=5))
        assert await s.status(case_no) is CaseStatus.IN_ARBITRATION
