"""The operator hears that the published holiday data runs out: log, staff chat, CLI."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.calendar_watch import INTERVAL, CalendarWatch, log_outlook, staff_warning
from bot.cli import Console
from bot.cli_calendar import check_calendar
from bot.config import Settings
from bot.supervisor import LoopHealth
from cases.calendar import WARN_DAYS, calendar_outlook, published_data_ends
from cases.clock import ManualClock
from sandbox.botapi import FakeBotAPI
from storage.models import OutboxRow
from tests.bot.harness import BotHarness, bot_harness

SHANGHAI = ZoneInfo("Asia/Shanghai")
STAFF_GROUP = -1001234567890
ENDS = published_data_ends()


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


async def staff_rows(harness: BotHarness) -> list[OutboxRow]:
    async with harness.deps.engine.connect() as connection:
        rows = await connection.execute(select(OutboxRow).order_by(OutboxRow.id))
        return [row for row in rows if row.chat_id == STAFF_GROUP]


async def test_the_staff_chat_is_warned_once_a_day_in_the_reminder_hours(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    start = local(ENDS - timedelta(days=10), 7, 30)
    async with bot_harness(tmp_path, fake_api, start, staff_chat_id=STAFF_GROUP) as harness:
        watch = CalendarWatch(harness.deps)
        assert await watch.run_once()
        harness.clock.set(start + timedelta(hours=5))
        assert await watch.run_once()  # the same day again: queued once
        harness.clock.set(start + timedelta(days=1))
        assert await watch.run_once()

        rows = await staff_rows(harness)
    assert [row.payload["key"] for row in rows] == ["calendar.staff_warning"] * 2
    # Queued at 07:30, due when the reminder hours open at 09:00.
    assert [row.due_at for row in rows] == [start.replace(hour=9, minute=0),
                                           start.replace(hour=9, minute=0) + timedelta(days=1)]
    assert rows[0].payload["params"]["days_left"] == 10


async def test_the_staff_chat_hears_nothing_while_the_data_reaches_far_enough(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    start = local(ENDS - timedelta(days=WARN_DAYS + 1), 12)
    async with bot_harness(tmp_path, fake_api, start, staff_chat_id=STAFF_GROUP) as harness:
        assert not await CalendarWatch(harness.deps).run_once()
        assert await staff_rows(harness) == []


def test_the_warning_says_the_data_ran_out_and_what_to_do() -> None:
    translator = Console(Settings(_env_file=None)).translator  # type: ignore[call-arg]
    soon = staff_warning(calendar_outlook(ENDS - timedelta(days=24)))
    past = staff_warning(calendar_outlook(ENDS + timedelta(days=40)))

    soon_text = translator.render("zh_CN", soon.key, soon.params)
    past_text = translator.render("en", past.key, past.params)
    assert "即将用完" in soon_text
    assert "还剩 24 天" in soon_text
    assert "调休" in soon_text
    assert "has run out" in past_text
    assert f"{ENDS.year + 1} arrangement" in past_text


def test_start_up_logs_a_warning_only_within_the_warning_days(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.calendar_watch"):
        log_outlook(calendar_outlook(ENDS - timedelta(days=WARN_DAYS + 1)))
        assert caplog.records == []
        log_outlook(calendar_outlook(ENDS - timedelta(days=3)))
        log_outlook(calendar_outlook(ENDS + timedelta(days=3)))
    soon, past = (record.getMessage() for record in caplog.records)
    assert f"end on {ENDS} (3 days left)" in soon
    assert f"ended on {ENDS}" in past


def test_calendar_check_lists_the_estimated_holidays_and_exits_1_while_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    console = Console(Settings(_env_file=None, default_locale="en"))  # type: ignore[call-arg]

    assert check_calendar(console, ENDS - timedelta(days=WARN_DAYS + 1)) == 0
    calm = capsys.readouterr().out
    assert f"to {ENDS}" in calm
    assert "Holidays assumed" not in calm

    assert check_calendar(console, ENDS - timedelta(days=24)) == 1
    warned = capsys.readouterr().out
    assert "run out in 24 days" in warned
    assert f"Holidays assumed for {ENDS.year + 1}:" in warned
    assert "Spring Festival:" in warned
    assert "make-up working days" in warned


def test_calendar_check_for_2027_shows_the_festivals_from_the_lunar_calendar(
    capsys: pytest.CaptureFixture[str],
) -> None:
    console = Console(Settings(_env_file=None, default_locale="zh_CN"))  # type: ignore[call-arg]

    assert check_calendar(console, date(2027, 3, 1), date(2026, 12, 31)) == 1
    out = capsys.readouterr().out
    assert "今天已超出已公布的放假安排：2027, 2028 年" in out
    assert "春节：2027-02-05 至 2027-02-12（8 天）" in out
    assert "端午节：2027-06-09" in out
    assert "中秋节：2027-09-15" in out
    assert "2028 年估算的假日：" in out


async def test_the_loop_first_looks_an_interval_after_start_then_every_interval(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    start = local(ENDS - timedelta(days=10), 12)
    async with bot_harness(tmp_path, fake_api, start, staff_chat_id=STAFF_GROUP) as harness:
        slept: list[float] = []
        queued_before_each_sleep: list[int] = []

        async def sleep(seconds: float) -> None:
            queued_before_each_sleep.append(len(await staff_rows(harness)))
            slept.append(seconds)
            harness.clock.set(harness.clock.now() + timedelta(days=1))
            if len(slept) == 3:
                raise asyncio.CancelledError

        watch = CalendarWatch(harness.deps, sleep=sleep)
        with pytest.raises(asyncio.CancelledError):
            await watch.run_forever(LoopHealth("calendar", harness.clock))

    assert slept == [INTERVAL] * 3
    # Nothing before the first interval; one warning for each day it looked on.
    assert queued_before_each_sleep == [0, 1, 2]


def completing_policy(tmp_path: Path) -> Path:
    """A policy whose holiday file carries the whole year after the published data."""
    year = ENDS.year + 1
    (tmp_path / "holidays.toml").write_text(
        f'holidays = ["{year}-01-01"]\nworkdays = ["{year}-02-20"]\ncomplete_years = [{year}]\n',
        encoding="utf-8",
    )
    policy = tmp_path / "policy.toml"
    policy.write_text('holiday_file = "holidays.toml"\n', encoding="utf-8")
    return policy


async def test_a_holiday_file_that_completes_the_next_year_silences_the_warning(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    start = local(ENDS - timedelta(days=10), 12)
    policy = completing_policy(tmp_path)
    async with bot_harness(
        tmp_path, fake_api, start, staff_chat_id=STAFF_GROUP, policy_file=policy
    ) as harness:
        assert not await CalendarWatch(harness.deps).run_once()
        assert await staff_rows(harness) == []
        # Into the completed year, with the year after it now 60 days away: warned again.
        harness.clock.set(local(date(ENDS.year + 1, 11, 5), 12))
        assert await CalendarWatch(harness.deps).run_once()
        (row,) = await staff_rows(harness)
    assert row.payload["params"]["year"] == ENDS.year + 2


def test_calendar_check_reads_the_policys_holiday_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import main

    monkeypatch.chdir(tmp_path)
    for name in ("TIMEZONE", "DEFAULT_LOCALE", "POLICY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DEFAULT_LOCALE", "en")
    monkeypatch.setenv("POLICY_FILE", str(completing_policy(tmp_path)))
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    today = ENDS - timedelta(days=24)
    assert check_calendar(Console(settings), today) == 1  # without the file: warned
    capsys.readouterr()

    monkeypatch.setattr("bot.cli.SystemClock", lambda: ManualClock(local(today, 12)))
    assert main(["calendar", "check"]) == 0
    out = capsys.readouterr().out
    assert f"to {ENDS}" in out
    assert f"whole arrangement for {ENDS.year + 1} (complete_years)" in out
    assert "Holidays assumed" not in out
