"""Working-day deadlines across China's holidays, make-up days and years without data."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from cases.calendar import (
    WARN_DAYS,
    CalendarFile,
    WorkingCalendar,
    _estimated_is_working_day,
    build_calendar,
    calendar_outlook,
    load_calendar_file,
    published_data_ends,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar(tz=SHANGHAI)


def shanghai(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def test_national_day_2026_is_off_and_the_make_up_saturday_is_working(
    calendar: WorkingCalendar,
) -> None:
    for day in range(1, 8):
        assert not calendar.is_working_day(date(2026, 10, day))
    assert calendar.is_working_day(date(2026, 10, 8))
    assert calendar.is_working_day(date(2026, 10, 9))
    assert calendar.is_working_day(date(2026, 10, 10))  # Saturday, 调休
    assert not calendar.is_working_day(date(2026, 10, 11))


def test_sunday_before_national_day_2026_is_not_a_working_day(calendar: WorkingCalendar) -> None:
    # Mid-Autumn (2026-09-25..27) is published without a make-up day on the 27th.
    assert not calendar.is_working_day(date(2026, 9, 27))


def test_three_working_days_from_the_eve_of_national_day_end_on_the_make_up_saturday(
    calendar: WorkingCalendar,
) -> None:
    deadline = calendar.add_working_days(shanghai(2026, 9, 30, 10, 0), 3)

    assert deadline == shanghai(2026, 10, 11)
    assert deadline.tzinfo == SHANGHAI
    assert calendar.deadline_date(deadline) == date(2026, 10, 10)


def test_the_start_day_never_counts_even_early_in_the_morning(calendar: WorkingCalendar) -> None:
    deadline = calendar.add_working_days(shanghai(2026, 9, 28, 0, 1), 1)

    assert deadline == shanghai(2026, 9, 30)


def test_start_on_a_holiday_counts_from_the_next_working_day(calendar: WorkingCalendar) -> None:
    deadline = calendar.add_working_days(shanghai(2026, 10, 3, 15, 0), 1)

    assert calendar.deadline_date(deadline) == date(2026, 10, 8)


def test_start_is_read_in_the_calendar_time_zone(calendar: WorkingCalendar) -> None:
    # 2026-09-30 17:00 UTC is already 2026-10-01 01:00 in Shanghai, a holiday.
    start = datetime(2026, 9, 30, 17, 0, tzinfo=ZoneInfo("UTC"))

    deadline = calendar.add_working_days(start, 1)

    assert calendar.deadline_date(deadline) == date(2026, 10, 8)


def test_zero_working_days_means_the_end_of_the_start_day(calendar: WorkingCalendar) -> None:
    deadline = calendar.add_working_days(shanghai(2026, 10, 3, 15, 0), 0)

    assert deadline == shanghai(2026, 10, 4)


def test_negative_working_days_are_refused(calendar: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="negative"):
        calendar.add_working_days(shanghai(2026, 10, 3), -1)


def test_naive_start_is_refused(calendar: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.add_working_days(datetime(2026, 10, 3), 1)  # noqa: DTZ001


def test_year_end_skips_new_year_2027_and_the_weekend_without_library_data(
    calendar: WorkingCalendar,
) -> None:
    deadline = calendar.add_working_days(shanghai(2026, 12, 30, 9, 0), 3)

    # 12-31 Thu, (01-01 Fri New Year, 01-02/03 weekend), 01-04 Mon, 01-05 Tue.
    assert calendar.deadline_date(deadline) == date(2027, 1, 5)
    assert deadline == shanghai(2027, 1, 6)


def test_estimated_years_know_fixed_date_holidays_and_weekends(calendar: WorkingCalendar) -> None:
    assert not calendar.is_working_day(date(2031, 1, 1))
    assert not calendar.is_working_day(date(2031, 5, 5))
    assert not calendar.is_working_day(date(2031, 10, 7))
    # Mid-Autumn 2031 falls on 10-01, inside National Day: the next working day is off instead.
    assert not calendar.is_working_day(date(2031, 10, 8))
    assert calendar.is_working_day(date(2031, 10, 9))
    assert not calendar.is_working_day(date(2031, 3, 15))  # Saturday
    assert calendar.is_working_day(date(2031, 3, 17))  # Monday


def test_far_future_and_far_past_deadlines_compute_without_error(
    calendar: WorkingCalendar,
) -> None:
    deadline = calendar.add_working_days(shanghai(2031, 9, 29, 12, 0), 5)
    # 09-30, then 10-01..07 National Day and 10-08 for Mid-Autumn: 10-09, 10-10, 10-13, 10-14.
    assert calendar.deadline_date(deadline) == date(2031, 10, 14)
    # 2000-01-01 is a Saturday, so New Year's Day moves to Monday 01-03 (as it was published).
    assert calendar.add_working_days(shanghai(1999, 12, 31), 1) == shanghai(2000, 1, 5)


@pytest.mark.parametrize("year", [2040, 2099, 2199, 2200, 2500, 9998])
def test_working_days_compute_in_any_year(calendar: WorkingCalendar, year: int) -> None:
    deadline = calendar.add_working_days(shanghai(year, 1, 20, 9, 0), 30)

    assert shanghai(year, 2, 20) < deadline < shanghai(year, 4, 1)


def test_spring_festival_2027_is_off_from_new_years_eve_to_the_seventh_day(
    calendar: WorkingCalendar,
) -> None:
    # 除夕 is Friday 2027-02-05, 初一 Saturday 02-06, 初七 Friday 02-12.
    assert calendar.is_working_day(date(2027, 2, 4))
    for day in range(5, 15):
        assert not calendar.is_working_day(date(2027, 2, day)), day
    assert calendar.is_working_day(date(2027, 2, 15))


def test_three_working_days_from_the_eve_of_spring_festival_2027_end_after_the_holiday(
    calendar: WorkingCalendar,
) -> None:
    deadline = calendar.add_working_days(shanghai(2027, 2, 4, 10, 0), 3)

    assert calendar.deadline_date(deadline) == date(2027, 2, 17)


def test_qingming_dragon_boat_and_mid_autumn_2027_are_off(calendar: WorkingCalendar) -> None:
    # Qingming 2027-04-05 (a Monday, from the solar term), Dragon Boat Wednesday 06-09,
    # Mid-Autumn Wednesday 09-15.
    for day in (date(2027, 4, 5), date(2027, 6, 9), date(2027, 9, 15)):
        assert not calendar.is_working_day(day), day
        assert calendar.is_working_day(day + timedelta(days=1)), day


def test_two_working_days_before_mid_autumn_2027_skip_the_festival(
    calendar: WorkingCalendar,
) -> None:
    deadline = calendar.add_working_days(shanghai(2027, 9, 13, 16, 0), 2)

    # 09-14 Tue, (09-15 Wed Mid-Autumn), 09-16 Thu.
    assert calendar.deadline_date(deadline) == date(2027, 9, 16)


def test_a_one_day_festival_on_a_weekend_frees_the_next_monday(calendar: WorkingCalendar) -> None:
    # Dragon Boat 2028 is Wednesday 05-28; Mid-Autumn 2029 is Saturday 09-22.
    assert not calendar.is_working_day(date(2029, 9, 24))
    assert calendar.is_working_day(date(2029, 9, 25))


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_estimate_matches_the_published_years_but_for_their_make_up_days(year: int) -> None:
    published = WorkingCalendar(tz=SHANGHAI)
    differ = []
    day = date(year, 1, 1)
    while day.year == year:
        if published.is_working_day(day) != _estimated_is_working_day(day):
            differ.append(day)
        day += timedelta(days=1)

    make_up_days = {d for d in differ if d.weekday() >= 5 and published.is_working_day(d)}
    # The bridge day that a make-up Sunday paid for (2026-01-04 for 2026-01-02).
    bridge_days = {date(2026, 1, 2)}
    assert set(differ) - make_up_days <= bridge_days
    assert make_up_days  # the comparison saw the make-up days it leaves out


def test_the_operator_file_wins_over_the_estimate(tmp_path: Path) -> None:
    holiday_file = tmp_path / "holidays.toml"
    # As if the State Council made Saturday 2027-02-13 a make-up working day and freed 02-15.
    holiday_file.write_text(
        'holidays = ["2027-02-15"]\nworkdays = ["2027-02-12", "2027-02-13"]\n', encoding="utf-8"
    )
    calendar = build_calendar("Asia/Shanghai", holiday_file)

    assert calendar.is_working_day(date(2027, 2, 12))  # 初七 in the estimate
    assert calendar.is_working_day(date(2027, 2, 13))  # a Saturday
    assert not calendar.is_working_day(date(2027, 2, 15))
    deadline = calendar.add_working_days(shanghai(2027, 2, 4, 10, 0), 3)
    assert calendar.deadline_date(deadline) == date(2027, 2, 16)


def test_outlook_warns_from_sixty_days_before_the_data_runs_out() -> None:
    ends = date(2026, 12, 31)

    assert not calendar_outlook(date(2026, 10, 31), ends).warn
    early = calendar_outlook(date(2026, 11, 1), ends)
    assert early.warn
    assert not early.estimating
    assert early.days_left == WARN_DAYS
    late = calendar_outlook(date(2027, 3, 1), ends)
    assert late.warn
    assert late.estimating
    assert list(early.estimated_years) == [2027]
    assert list(late.estimated_years) == [2027, 2028]


def test_outlook_reads_the_installed_data_range() -> None:
    outlook = calendar_outlook(date(2026, 12, 6))

    assert outlook.data_ends == published_data_ends()
    assert WorkingCalendar(tz=SHANGHAI).is_working_day(outlook.data_ends) == (
        bool(chinese_calendar.is_workday(outlook.data_ends))
    )


def test_make_up_day_from_the_operator_file_counts_as_working(tmp_path: Path) -> None:
    holiday_file = tmp_path / "holidays.toml"
    holiday_file.write_text(
        'holidays = ["2027-02-08", "2027-02-09", "2027-02-10"]\nworkdays = ["2027-02-07"]\n',
        encoding="utf-8",
    )
    calendar = build_calendar("Asia/Shanghai", holiday_file)

    assert calendar.is_working_day(date(2027, 2, 7))  # a Sunday
    assert not calendar.is_working_day(date(2027, 2, 8))
    deadline = calendar.add_working_days(shanghai(2027, 2, 5, 18, 0), 2)
    # 02-06 Sat off, 02-07 Sun make-up day, 02-08..12 Spring Festival, 02-13/14 weekend, 02-15.
    assert calendar.deadline_date(deadline) == date(2027, 2, 15)


def test_operator_extras_win_over_the_library_data() -> None:
    calendar = WorkingCalendar(
        tz=SHANGHAI,
        extra_holidays=frozenset({date(2026, 10, 9)}),
        extra_workdays=frozenset({date(2026, 10, 7)}),
    )

    assert calendar.is_working_day(date(2026, 10, 7))
    assert not calendar.is_working_day(date(2026, 10, 9))


def test_a_date_both_holiday_and_workday_is_refused() -> None:
    with pytest.raises(ValueError, match="2027-02-07"):
        WorkingCalendar(
            tz=SHANGHAI,
            extra_holidays=frozenset({date(2027, 2, 7)}),
            extra_workdays=frozenset({date(2027, 2, 7)}),
        )


def test_deadline_date_of_an_instant_inside_a_day_is_that_day(calendar: WorkingCalendar) -> None:
    assert calendar.deadline_date(shanghai(2026, 10, 10, 23, 59)) == date(2026, 10, 10)
    assert calendar.deadline_date(shanghai(2026, 10, 11) - timedelta(microseconds=1)) == date(
        2026, 10, 10
    )


def test_calendar_file_accepts_native_toml_dates(tmp_path: Path) -> None:
    path = tmp_path / "holidays.toml"
    path.write_text("holidays = [2027-01-01]\n", encoding="utf-8")

    assert load_calendar_file(path) == CalendarFile(holidays=frozenset({date(2027, 1, 1)}))


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ('holidays = ["2027-01-01", "2027-13-01"]\n', "holidays[1] = '2027-13-01'"),
        ('workdays = ["tomorrow"]\n', "workdays[0] = 'tomorrow'"),
        ("workdays = [7]\n", "workdays[0] = 7"),
        ("holidays = [2027-01-01T10:00:00]\n", "holidays[0]"),
        ('holidays = "2027-01-01"\n', "holidays must be a list"),
        ('holiday = ["2027-01-01"]\n', "unknown keys holiday"),
        ('holidays = ["2027-01-01"\n', "not valid TOML"),
        ('holidays = ["2027-02-07"]\nworkdays = ["2027-02-07"]\n', "both"),
        ('complete_years = "2027"\n', "complete_years must be a list"),
        ("complete_years = [true]\n", "complete_years must be a list"),
        ('holidays = ["2027-01-01"]\ncomplete_years = [2027, 2028]\n',
         "complete_years names 2028 but holidays lists no date in it"),
    ],
)
def test_bad_calendar_file_names_the_bad_entry(tmp_path: Path, content: str, named: str) -> None:
    path = tmp_path / "holidays.toml"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(ValueError, match=r"holidays\.toml") as excinfo:
        load_calendar_file(path)
    assert named in str(excinfo.value)


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus"):
        build_calendar("Mars/Olympus")


def test_working_seconds_skip_the_weekend(calendar: WorkingCalendar) -> None:
    # Friday 2026-11-27 20:00 plus 6 working hours: 4 h of Friday, then Monday to 02:00.
    assert calendar.add_working_seconds(shanghai(2026, 11, 27, 20, 0), 6 * 3600) == shanghai(
        2026, 11, 30, 2, 0
    )
    # Time starts on a weekend only when Monday begins.
    assert calendar.add_working_seconds(shanghai(2026, 11, 28, 9, 0), 60) == shanghai(
        2026, 11, 30, 0, 1
    )


def test_working_seconds_between_leave_out_holidays(calendar: WorkingCalendar) -> None:
    # 30 September 12:00 to 9 October 12:00: 12 h, then 8 October, then 12 h of 9 October.
    seconds = calendar.working_seconds_between(shanghai(2026, 9, 30, 12), shanghai(2026, 10, 9, 12))

    assert seconds == 48 * 3600
    assert calendar.add_working_seconds(shanghai(2026, 9, 30, 12), seconds) == shanghai(
        2026, 10, 9, 12
    )


# The State Council's 2027 arrangement as an operator would copy it into the holiday file (the
# Spring Festival with its make-up Sundays; Dragon Boat Festival on a Wednesday).
ARRANGEMENT_2027 = """
holidays = ["2027-01-01", "2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08", "2027-02-09",
            "2027-02-10", "2027-02-11", "2027-02-12", "2027-06-09"]
workdays = ["2027-01-31", "2027-02-20"]
complete_years = [2027]
"""


def test_a_year_the_holiday_file_completes_is_not_estimated(tmp_path: Path) -> None:
    path = tmp_path / "holidays.toml"
    path.write_text(ARRANGEMENT_2027.replace(', "2027-06-09"', ""), encoding="utf-8")
    estimated = build_calendar("Asia/Shanghai")
    completed = build_calendar("Asia/Shanghai", path)

    # Mid-Autumn 2027 (Wednesday 09-15) is a holiday on the estimate only: the operator's
    # complete list of 2027 leaves it out, so it is a working day there.
    assert not estimated.is_working_day(date(2027, 9, 15))
    assert completed.is_working_day(date(2027, 9, 15))
    assert completed.is_working_day(date(2027, 1, 31))  # a make-up Sunday
    assert not completed.is_working_day(date(2027, 2, 8))
    assert not completed.is_working_day(date(2027, 3, 6))  # an ordinary Saturday
    # 2028 is not in the file: the estimate still places its Spring Festival.
    assert not completed.is_working_day(date(2028, 1, 26))
    assert completed.data_ends() == date(2027, 12, 31)
    assert estimated.data_ends() == published_data_ends()


def test_a_completed_year_after_a_gap_leaves_the_data_ending_where_it_did(tmp_path: Path) -> None:
    year = published_data_ends().year + 2
    path = tmp_path / "holidays.toml"
    path.write_text(f'holidays = ["{year}-01-01"]\ncomplete_years = [{year}]\n', encoding="utf-8")

    assert build_calendar("Asia/Shanghai", path).data_ends() == published_data_ends()
