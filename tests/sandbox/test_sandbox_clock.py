"""The sandbox clock: real time plus a forward-only offset, moved by hours or working days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cases.calendar import build_calendar
from cases.clock import ManualClock
from sandbox.clock import SandboxClock

SHANGHAI = ZoneInfo("Asia/Shanghai")


def clock_at(local: datetime, offset_file: Path | None = None) -> tuple[SandboxClock, ManualClock]:
    real = ManualClock(local.astimezone(UTC))
    return SandboxClock(build_calendar("Asia/Shanghai"), offset_file, real=real), real


def test_starts_at_the_real_time_and_follows_it() -> None:
    clock, real = clock_at(datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI))
    assert clock.now() == real.now()
    assert clock.offset == timedelta(0)
    real.advance(timedelta(seconds=5))
    assert clock.now() == real.now()


def test_advance_moves_ahead_of_the_real_time_and_keeps_running() -> None:
    clock, real = clock_at(datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI))
    clock.advance(timedelta(hours=3))
    assert clock.offset == timedelta(hours=3)
    real.advance(timedelta(minutes=1))
    assert clock.now() == real.now() + timedelta(hours=3)
    assert clock.now().tzinfo is not None


def test_refuses_to_move_backwards() -> None:
    clock, _ = clock_at(datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI))
    with pytest.raises(ValueError, match="only moves forward"):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ValueError, match="at least 1"):
        clock.advance_working_days(0)
    assert clock.offset == timedelta(0)


def test_working_days_skip_the_weekend() -> None:
    # Thursday 26 Nov 2026, 10:00: two working days are Friday and Monday.
    clock, _ = clock_at(datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI))
    moved = clock.advance_working_days(2)
    assert moved.astimezone(SHANGHAI) == datetime(2026, 12, 1, 0, 0, tzinfo=SHANGHAI)


def test_working_days_skip_national_day_and_count_the_make_up_day() -> None:
    # 30 Sep 2026 (Wed): 1-7 Oct are the National Day holiday, Sat 10 Oct is a make-up workday.
    clock, _ = clock_at(datetime(2026, 9, 30, 15, 0, tzinfo=SHANGHAI))
    calendar = clock.calendar
    expected = calendar.add_working_days(clock.now(), 1)
    assert clock.advance_working_days(1) == expected
    assert expected.astimezone(SHANGHAI).date() > date(2026, 10, 7)


def test_working_days_reach_exactly_a_deadline_set_at_the_same_moment() -> None:
    clock, _ = clock_at(datetime(2026, 11, 27, 23, 30, tzinfo=SHANGHAI))
    deadline = clock.calendar.add_working_days(clock.now(), 2)
    assert clock.advance_working_days(2) == deadline


def test_the_offset_survives_a_restart_and_reset_forgets_it(tmp_path: Path) -> None:
    saved = tmp_path / "sandbox" / "clock.json"
    clock, real = clock_at(datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI), saved)
    clock.advance(timedelta(hours=5))
    restarted = SandboxClock(clock.calendar, saved, real=real)
    assert restarted.offset == timedelta(hours=5)
    restarted.reset()
    assert restarted.offset == timedelta(0)
    assert not saved.exists()
    assert SandboxClock(clock.calendar, saved, real=real).offset == timedelta(0)


def test_an_unreadable_offset_file_means_the_real_time(tmp_path: Path) -> None:
    saved = tmp_path / "clock.json"
    saved.write_text("not json")
    clock, real = clock_at(datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI))
    assert SandboxClock(clock.calendar, saved, real=real).now() == real.now()
