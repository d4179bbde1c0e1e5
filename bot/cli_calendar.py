"""`complaint-bot calendar check`: how far the published holiday data reaches, and the estimate.

Prints the range the State Council's published arrangements cover, whether deadlines already
rest on the estimate (or will within WARN_DAYS), and the holidays the estimate assumes for
each year without published data up to the next one. Years the policy's holiday file completes
(``complete_years``) count as published. Exits 1 while the warning applies (the
same condition as the start-up log and the staff chat's daily warning), so a monitoring job
can run it; 0 when the published data covers the next WARN_DAYS days.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from cases.calendar import (
    PUBLISHED_YEARS,
    WARN_DAYS,
    WorkingCalendar,
    build_calendar,
    calendar_outlook,
    published_data_ends,
)
from cases.holiday_estimate import estimated_holidays
from cases.policy import load_policy

if TYPE_CHECKING:
    from bot.cli import Console
    from bot.config import Settings


def configured_calendar(settings: Settings) -> WorkingCalendar:
    """The calendar the bot itself would run on: the time zone and the policy's holiday file."""
    policy = load_policy(settings.policy_file, settings.timezone, settings.reminder_window)
    return build_calendar(settings.timezone, policy.holiday_file)


def check_calendar(
    console: Console,
    today: date,
    data_ends: date | None = None,
    *,
    calendar: WorkingCalendar | None = None,
) -> int:
    """Prints the calendar's outlook on `today`: the installed data's unless `data_ends`, with
    the years `calendar`'s holiday file completes."""
    if data_ends is None and calendar is not None:
        data_ends = calendar.data_ends()
    outlook = calendar_outlook(today, data_ends)
    library_ends = min(outlook.data_ends, published_data_ends())
    console.say("cli.calendar.check_range", first=date(PUBLISHED_YEARS[0], 1, 1),
                ends=library_ends)
    if outlook.data_ends > library_ends:
        completed = range(library_ends.year + 1, outlook.data_ends.year + 1)
        console.say("cli.calendar.check_file_years",
                    years=", ".join(str(year) for year in completed))
    if not outlook.warn:
        console.say("cli.calendar.check_ok", warn_days=WARN_DAYS)
        return 0
    years = ", ".join(str(year) for year in outlook.estimated_years)
    if outlook.estimating:
        console.say("cli.calendar.check_estimating", years=years)
    else:
        console.say("cli.calendar.check_soon", days_left=outlook.days_left, years=years)
    console.say("cli.calendar.check_estimate_rule")
    for year in outlook.estimated_years:
        console.say("cli.calendar.check_year", year=year)
        for holiday in estimated_holidays(year):
            console.say(
                "cli.calendar.check_holiday",
                name=console.text(f"calendar.festival.{holiday.festival.value}"),
                first=holiday.first,
                last=holiday.last,
                days=len(holiday.days),
            )
    return 1
