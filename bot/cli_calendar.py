"""`complaint-bot calendar check`: how far the published holiday data reaches, and the estimate.

Prints the range the State Council's published arrangements cover, whether deadlines already
rest on the estimate (or will within WARN_DAYS), and the holidays the estimate assumes for
each year without published data up to the next one. Exits 1 while the warning applies (the
same condition as the start-up log and the staff chat's daily warning), so a monitoring job
can run it; 0 when the published data covers the next WARN_DAYS days.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from cases.calendar import PUBLISHED_YEARS, WARN_DAYS, calendar_outlook
from cases.holiday_estimate import estimated_holidays

if TYPE_CHECKING:
    from bot.cli import Console


def check_calendar(console: Console, today: date, data_ends: date | None = None) -> int:
    """Prints the calendar's outlook on `today` (the installed data's, unless `data_ends`)."""
    outlook = calendar_outlook(today, data_ends)
    console.say("cli.calendar.check_range", first=date(PUBLISHED_YEARS[0], 1, 1),
                ends=outlook.data_ends)
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
