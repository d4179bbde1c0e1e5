"""Working days in mainland China, so SLA deadlines skip statutory holidays and honour 调休.

The ``chinese_calendar`` package carries the State Council's published holiday arrangements, but
only up to the last published year; deadlines later than that must still be computed. For those
years the holidays are computed ahead (``cases.holiday_estimate``): the lunar festivals and the
fixed dates, without the make-up working days nobody can know before they are published. The
operator's holiday file corrects any date, and can carry a whole year's arrangement itself
(``complete_years``) once the State Council has published it and before a new chinesecalendar
does. The bot warns from ``WARN_DAYS`` before the data, published or the file's, runs out
(``outlook``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar
from chinese_calendar import constants as published

from cases.holiday_estimate import estimated_days_off

_CALENDAR_FILE_KEYS = ("holidays", "workdays", "complete_years")

# The library answers for whole years: the first and last year it has an arrangement for.
PUBLISHED_YEARS = range(min(published.holidays).year, max(published.holidays).year + 1)
# How long before the published data runs out the operator is warned, to have time to act.
WARN_DAYS = 60


def published_data_ends() -> date:
    """Returns the last date the State Council's published arrangements cover."""
    return date(PUBLISHED_YEARS[-1], 12, 31)


def _estimated_is_working_day(day: date) -> bool:
    """Decides a day of a year without published data from the computed holidays and weekends."""
    if day.weekday() >= 5:
        return False
    return day not in estimated_days_off(day.year)


@dataclass(frozen=True)
class WorkingCalendar:
    """Decides which local dates are working days and turns "n working days" into an instant."""

    tz: ZoneInfo
    extra_holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)
    # Years whose whole arrangement the operator's extras list: no estimate for them.
    complete_years: frozenset[int] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        both = self.extra_holidays & self.extra_workdays
        if both:
            listed = ", ".join(sorted(day.isoformat() for day in both))
            raise ValueError(f"dates listed both as holiday and as workday: {listed}")

    def is_working_day(self, day: date) -> bool:
        """Operator extras win over the published data, which wins over the estimate."""
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        if day.year in PUBLISHED_YEARS:
            return bool(chinese_calendar.is_workday(day))
        if day.year in self.complete_years:
            return day.weekday() < 5
        # The library raises for years outside its data; a deadline must never crash.
        return _estimated_is_working_day(day)

    def data_ends(self) -> date:
        """The last date covered by a published arrangement: the library's, then the years the
        operator's file completes right after it (a gap leaves the later years estimated)."""
        year = PUBLISHED_YEARS[-1]
        while year + 1 in self.complete_years:
            year += 1
        return date(year, 12, 31)

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """Returns the end of the n-th working day after the local date of ``start``.

        The start day never counts, whatever the hour, so a case filed late in the evening gets
        the same full days as one filed in the morning; a start on a holiday counts from the next
        working day. The result is the local midnight that begins the day after the last counted
        day. ``n == 0`` means "by the end of the start day".
        """
        if start.tzinfo is None:
            raise ValueError("add_working_days needs a timezone-aware start")
        if n < 0:
            raise ValueError(f"working days must not be negative, got {n}")
        day = start.astimezone(self.tz).date()
        remaining = n
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return self.start_of_day(day + timedelta(days=1))

    def working_seconds_between(self, start: datetime, end: datetime) -> int:
        """Returns the seconds from `start` to `end` that lie on working days (whole local days)."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("working_seconds_between needs timezone-aware instants")
        total = 0.0
        cursor = start
        while cursor < end:
            day = cursor.astimezone(self.tz).date()
            next_day = self.start_of_day(day + timedelta(days=1))
            if self.is_working_day(day):
                total += (min(next_day, end) - cursor).total_seconds()
            cursor = next_day
        return int(total)

    def add_working_seconds(self, start: datetime, seconds: int) -> datetime:
        """Returns the instant `seconds` of working-day time after `start`.

        Time on weekends and holidays does not pass; a start on one counts from the next working
        day's first instant. The inverse of `working_seconds_between`.
        """
        if start.tzinfo is None:
            raise ValueError("add_working_seconds needs a timezone-aware start")
        if seconds < 0:
            raise ValueError(f"working seconds must not be negative, got {seconds}")
        cursor, left = start, timedelta(seconds=seconds)
        while True:
            day = cursor.astimezone(self.tz).date()
            next_day = self.start_of_day(day + timedelta(days=1))
            if self.is_working_day(day):
                if cursor + left <= next_day:
                    return (cursor + left).astimezone(self.tz)
                left -= next_day - cursor
            cursor = next_day

    def start_of_day(self, day: date) -> datetime:
        """Returns the first instant of the local date ``day`` in the calendar's time zone."""
        local = datetime.combine(day, time.min, tzinfo=self.tz)
        # The round trip through UTC turns a midnight skipped by a DST jump into a real instant.
        return local.astimezone(UTC).astimezone(self.tz)

    def deadline_date(self, deadline: datetime) -> date:
        """Returns the last local date a deadline covers, for showing a deadline as a date.

        A deadline at local midnight covers the day before it, not the day it opens.
        """
        return last_covered(deadline, self.tz)[0]


def last_covered(deadline: datetime, tz: ZoneInfo) -> tuple[date, time | None]:
    """Returns how a deadline reads to people: the last local day it covers, and a time of day.

    A deadline at local midnight covers the whole day before it, so the time is None and the day
    is shown as "that day, inclusive". Any other deadline passes during its own day, so people
    must see the hour and minute too (a resumed review can end at 15:30).
    """
    if deadline.tzinfo is None:
        raise ValueError("a deadline must be timezone-aware")
    local = deadline.astimezone(tz)
    if local.time() == time.min:
        return local.date() - timedelta(days=1), None
    return local.date(), local.time().replace(second=0, microsecond=0)


@dataclass(frozen=True)
class CalendarFile:
    """The operator's holiday file: extra holidays, make-up working days, and the years for
    which these lists are the State Council's whole published arrangement."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    complete_years: frozenset[int] = frozenset()


def load_calendar_file(path: Path | str) -> CalendarFile:
    """Reads the operator's extra holidays and make-up working days from a TOML file.

    The file looks like ``holidays = ["2027-01-01"]`` and ``workdays = ["2027-02-07"]``; native
    TOML dates work too. ``complete_years = [2027]`` says that the file lists every holiday and
    make-up working day of 2027 as published, so the estimate is not used for that year and the
    warning that the data runs out moves on to the next year. Any bad entry raises a ValueError
    that names it, because a silently skipped date would shift every deadline around it.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from exc
    unknown = sorted(set(data) - set(_CALENDAR_FILE_KEYS))
    if unknown:
        raise ValueError(
            f"{path}: unknown keys {', '.join(unknown)}; expected holidays, workdays, "
            "complete_years"
        )
    holidays = _parse_dates(path, "holidays", data.get("holidays", []))
    workdays = _parse_dates(path, "workdays", data.get("workdays", []))
    both = holidays & workdays
    if both:
        listed = ", ".join(sorted(day.isoformat() for day in both))
        raise ValueError(f"{path}: dates listed both as holiday and as workday: {listed}")
    years = _parse_years(path, data.get("complete_years", []), holidays)
    return CalendarFile(holidays, workdays, years)


def _parse_years(path: Path, raw: object, holidays: frozenset[date]) -> frozenset[int]:
    if not isinstance(raw, list) or not all(
        isinstance(year, int) and not isinstance(year, bool) for year in raw
    ):
        raise ValueError(f"{path}: complete_years must be a list of years like 2027")
    years = frozenset(raw)
    held = {day.year for day in holidays}
    # Every year has statutory holidays: a complete year without one is a half-filled file, and
    # trusting it would turn the Spring Festival into working days.
    empty = sorted(year for year in years if year not in held)
    if empty:
        listed = ", ".join(str(year) for year in empty)
        raise ValueError(
            f"{path}: complete_years names {listed} but holidays lists no date in it; "
            "list that year's published holidays too"
        )
    return years


def _parse_dates(path: Path, key: str, raw: object) -> frozenset[date]:
    if not isinstance(raw, list):
        raise ValueError(f'{path}: {key} must be a list of dates like "2027-01-01"')
    return frozenset(_parse_date(path, key, index, entry) for index, entry in enumerate(raw))


def _parse_date(path: Path, key: str, index: int, entry: object) -> date:
    where = f"{path}: {key}[{index}] = {entry!r}"
    # datetime is a subclass of date: a TOML date-time would silently drop its time of day.
    if isinstance(entry, date) and not isinstance(entry, datetime):
        return entry
    if isinstance(entry, str):
        try:
            return date.fromisoformat(entry.strip())
        except ValueError:
            pass
    raise ValueError(f"{where} is not a date in the form YYYY-MM-DD")


def build_calendar(
    timezone: str,
    holiday_file: Path | None = None,
    *,
    extra_holidays: Iterable[date] = (),
    extra_workdays: Iterable[date] = (),
) -> WorkingCalendar:
    """Builds the calendar from configuration: a zone name and the optional operator file."""
    try:
        tz = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {timezone!r}") from exc
    holidays, workdays = frozenset(extra_holidays), frozenset(extra_workdays)
    years: frozenset[int] = frozenset()
    if holiday_file is not None:
        loaded = load_calendar_file(holiday_file)
        holidays |= loaded.holidays
        workdays |= loaded.workdays
        years = loaded.complete_years
    return WorkingCalendar(
        tz=tz, extra_holidays=holidays, extra_workdays=workdays, complete_years=years
    )


@dataclass(frozen=True)
class CalendarOutlook:
    """Where the published holiday data stands on `today`, for the operator's warnings."""

    today: date
    data_ends: date

    @property
    def days_left(self) -> int:
        """Days from today to the last published date; negative once it has passed."""
        return (self.data_ends - self.today).days

    @property
    def estimating(self) -> bool:
        """Today itself lies past the published data: deadlines already rest on the estimate."""
        return self.days_left < 0

    @property
    def warn(self) -> bool:
        """From WARN_DAYS before the data runs out, and for as long as it is missing."""
        return self.days_left <= WARN_DAYS

    @property
    def estimated_years(self) -> range:
        """The years without published data, from the first up to the year after today."""
        first = self.data_ends.year + 1
        return range(first, max(first, self.today.year + 1) + 1)


def calendar_outlook(today: date, data_ends: date | None = None) -> CalendarOutlook:
    """Returns the outlook of the published data (the installed library's, unless given; a
    calendar's `data_ends()` adds the years the operator's file completes)."""
    return CalendarOutlook(today, data_ends or published_data_ends())
