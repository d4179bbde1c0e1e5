"""Stories of time and trust: a holiday, restarts between every step, forged presses."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text

from cases.model import CaseStatus
from tests.fakebotapi import FakeBotAPI
from tests.stories.story_kit import BUYER, MERCHANT, OUTSIDER, STAFF_GROUP, story

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # Thursday 11:00 in Shanghai


async def test_merchant_reminders_skip_the_national_day_holiday(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    start = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)  # the last working day before it
    async with story(tmp_path, fake_api, start) as s:
        case_no = await s.file_complaint()
        await s.agent.send(f"/tomerchant {case_no}")
        await s.deliver()
        heard = len(s.received(MERCHANT))
        # 2 working days: 1-7 October are off, so the answer is due by the end of 9 October.
        await s.advance(datetime(2026, 10, 8, 0, 30, tzinfo=SHANGHAI) - s.harness.clock.now())
        assert s.received(MERCHANT)[heard:] == []  # nothing during the holiday
        assert await s.status(case_no) is CaseStatus.AWAITING_MERCHANT
        await s.advance(datetime(2026, 10, 9, 12, 0, tzinfo=SHANGHAI) - s.harness.clock.now())
        reminders = s.received(MERCHANT)[heard:]
        assert len(reminders) == 1  # the 24 h one, on 9 October
        assert "2026-10-09" in reminders[0]
        await s.advance(datetime(2026, 10, 10, 0, 30, tzinfo=SHANGHAI) - s.harness.clock.now())
        second, outcome = s.received(MERCHANT)[heard + 1 :]  # the 2 h reminder, then silence
        assert "2026-10-09" in second
        assert "100.00" in outcome
        assert await s.status(case_no) is CaseStatus.REFUND_PENDING


async def test_a_restart_between_every_step_loses_and_repeats_nothing(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    clock_at = NOW
    case_no = ""

    async def step(action: str) -> None:
        """Starts a fresh bot process over the same database, takes one step, stops it."""
        nonlocal clock_at, case_no
        async with story(tmp_path, fake_api, clock_at) as s:
            if action == "file":
                case_no = await s.file_complaint()
            elif action == "take":
                await s.agent.click(f"st:take:{case_no}")
            elif action == "to_merchant":
                await s.agent.send(f"/tomerchant {case_no}")
            elif action == "offer":
                await s.merchant.click(f"mc:off:{case_no}")
            elif action == "amount":
                await s.merchant.send("70.00")
            elif action == "accept":
                await s.buyer.click(f"b:acc:{case_no}")
            elif action == "paid":
                await s.agent.send(f"/paid {case_no}")
            await s.deliver()
            clock_at = s.harness.clock.now() + timedelta(minutes=5)

    for action in ("file", "take", "to_merchant", "offer", "amount", "accept", "paid"):
        await step(action)

    async with story(tmp_path, fake_api, clock_at) as s:
        assert await s.status(case_no) is CaseStatus.REFUNDED
        assert await s.actions(case_no) == [
            "submit", "take", "send_to_merchant", "merchant_offer", "accept_offer",
            "confirm_refund",
        ]
        async with s.harness.deps.engine.connect() as connection:
            cases = (await connection.execute(text("SELECT count(*) FROM cases"))).scalar()
            rows = (
                await connection.execute(text("SELECT sent_at, failed_at FROM outbox"))
            ).all()
        assert cases == 1
        assert all(row.sent_at is not None for row in rows)  # every notice delivered ...
        sends = Counter(
            (str(call.params["chat_id"]), call.params["text"])
            for call in fake_api.calls("sendMessage")
        )
        assert [text for text, count in sends.items() if count > 1] == []  # ... and only once
        for chat in (BUYER, MERCHANT, STAFF_GROUP):
            assert any(case_no in text for text in s.received(chat))


async def test_forged_presses_change_nothing_and_get_a_clear_answer(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    async with story(tmp_path, fake_api, NOW) as s:
        case_no = await s.file_complaint()
        before = await s.actions(case_no)
        outsider = s.staff(OUTSIDER)  # in the staff group, but not staff
        for data in (f"st:appf:{case_no}", f"st:take:{case_no}", f"st:rej:{case_no}"):
            await s.press(outsider, data)
        await s.press(s.buyer, f"st:appf:{case_no}")  # staff data from a buyer's own chat
        await s.press(s.buyer, f"mc:acc:{case_no}")  # merchant data from the buyer
        stranger = s.harness.user(user_id=5555)
        await stranger.send("/start")
        await s.press(stranger, f"b:wdy:{case_no}")  # someone else's withdrawal
        assert await s.actions(case_no) == before
        assert await s.status(case_no) is CaseStatus.SUBMITTED
        alerts = [c.params for c in fake_api.calls("answerCallbackQuery") if c.params.get("text")]
        assert alerts  # the group member was told why
        assert stranger.last_text()
        assert s.buyer.last_text()
