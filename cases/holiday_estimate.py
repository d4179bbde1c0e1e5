"""The statutory holidays of a year the State Council has not published yet, computed ahead.

The State Council publishes each year's arrangement (放假安排) in the autumn before it, and the
``chinese_calendar`` package carries it from then on. Deadlines reach past that, so for a year
without published data the bot computes the holidays the way recent arrangements placed them.
The lunar festivals come from ``lunar_python`` (an astronomical calendar with no end year):
除夕 is the day before the first day of the first lunar month, Dragon Boat the 5th of the 5th
month, Mid-Autumn the 15th of the 8th; Qingming is the day of the 清明 solar term.

The lengths follow the 2025 and 2026 arrangements, the first two under the rules revised in
November 2024 (除夕 became a statutory day):

- Spring Festival: 除夕 through 初七, eight days (2025-01-28..02-04, 2026-02-16..02-23);
- Labour Day: May 1-5 (both years); National Day: October 1-7 (both years);
- New Year's Day, Qingming, Dragon Boat and Mid-Autumn: the day itself. When it falls on a
  weekend or inside another holiday, the next working day is off instead, as the law on
  holidays (全国年节及纪念日放假办法 §6) requires: 2026 Qingming on Sunday 04-05 gave Monday
  04-06, 2025 Dragon Boat on Saturday 05-31 gave Monday 06-02, 2025 Mid-Autumn on 10-06 inside
  National Day gave 10-08.

What cannot be computed is every make-up working day (调休) and every bridge day it pays for
(2026-01-02 was off because Sunday 01-04 was worked): the State Council chooses them each year.
So the estimate has no make-up working days at all, and a year it covers has a few more
working days, never fewer days off, than the published one will mostly have; the operator's
holiday file corrects it once the arrangement is out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

# lunar_python computes each year from astronomy; beyond these years its arithmetic has not been
# checked here, so a year outside falls back to the solar-date holidays and weekends alone.
LUNAR_YEARS = range(1901, 2200)

SPRING_FESTIVAL_DAYS = 8  # 除夕 through 初七
LABOUR_DAY_DAYS = 5
NATIONAL_DAY_DAYS = 7


class Festival(StrEnum):
    """The statutory holidays, in the order of the year (locale key `calendar.festival.*`)."""

    NEW_YEAR = "new_year"
    SPRING_FESTIVAL = "spring_festival"
    QINGMING = "qingming"
    LABOUR_DAY = "labour_day"
    DRAGON_BOAT = "dragon_boat"
    MID_AUTUMN = "mid_autumn"
    NATIONAL_DAY = "national_day"


# The holidays of one day, which move to the next working day when they fall on a day off.
_ONE_DAY = frozenset(
    {Festival.NEW_YEAR, Festival.QINGMING, Festival.DRAGON_BOAT, Festival.MID_AUTUMN}
)


@dataclass(frozen=True)
class EstimatedHoliday:
    """One holiday of an estimated year: its days off, first to last (a substitute included)."""

    festival: Festival
    days: tuple[date, ...]

    @property
    def first(self) -> date:
        return self.days[0]

    @property
    def last(self) -> date:
        return self.days[-1]


@lru_cache(maxsize=64)
def estimated_holidays(year: int) -> tuple[EstimatedHoliday, ...]:
    """Returns the holidays the bot assumes for `year`, in the order of their first day."""
    blocks: dict[Festival, list[date]] = {
        Festival.NEW_YEAR: [date(year, 1, 1)],
        Festival.LABOUR_DAY: _run(date(year, 5, 1), LABOUR_DAY_DAYS),
        Festival.NATIONAL_DAY: _run(date(year, 10, 1), NATIONAL_DAY_DAYS),
    }
    if year in LUNAR_YEARS:
        blocks.update(_lunar_blocks(year))
    taken = {day for festival, days in blocks.items() if festival not in _ONE_DAY for day in days}
    # One-day holidays in the order of the year, so a substitute never lands on a later one.
    for festival in sorted(_ONE_DAY & set(blocks), key=lambda f: blocks[f][0]):
        day = blocks[festival][0]
        if day.weekday() >= 5 or day in taken:
            substitute = day + timedelta(days=1)
            while substitute.weekday() >= 5 or substitute in taken:
                substitute += timedelta(days=1)
            blocks[festival].append(substitute)
        taken.update(blocks[festival])
    holidays = (EstimatedHoliday(festival, tuple(days)) for festival, days in blocks.items())
    return tuple(sorted(holidays, key=lambda holiday: holiday.first))


@lru_cache(maxsize=64)
def estimated_days_off(year: int) -> frozenset[date]:
    """Returns every holiday date of `year` in the estimate, weekends not included."""
    return frozenset(day for holiday in estimated_holidays(year) for day in holiday.days)


def _run(first: date, days: int) -> list[date]:
    return [first + timedelta(days=offset) for offset in range(days)]


def _lunar_blocks(year: int) -> dict[Festival, list[date]]:
    # Imported here: a process whose deadlines all lie in published years never loads it.
    from lunar_python import Lunar

    def solar(month: int, day: int) -> date:
        found = Lunar.fromYmd(year, month, day).getSolar()
        return date(found.getYear(), found.getMonth(), found.getDay())

    new_year_eve = solar(1, 1) - timedelta(days=1)
    qingming = Lunar.fromYmd(year, 1, 1).getJieQiTable()["清明"]
    return {
        Festival.SPRING_FESTIVAL: _run(new_year_eve, SPRING_FESTIVAL_DAYS),
        Festival.QINGMING: [date(qingming.getYear(), qingming.getMonth(), qingming.getDay())],
        Festival.DRAGON_BOAT: [solar(5, 5)],
        Festival.MID_AUTUMN: [solar(8, 15)],
    }
