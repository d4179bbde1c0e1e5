"""Working days in mainland China, so SLA deadlines skip statutory holidays and honour 调休.

The ``chinese_calendar`` package carries the State Council's published holiday arrangements, but
only up to the last published year; deadlines later than that must still be computed. For those
years this module falls back to an approximation (see ``_fallback_is_working_day``) that the
operator corrects with a holiday file once the State Council publishes the real list.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar

# Statutory holidays whose dates are fixed in the solar calendar. The lunar ones (Spring
# Festival, Qingming, Dragon Boat, Mid-Autumn) and every make-up working day are only known once
# published, so the fallback cannot know them; the operator's holiday file fills them in.
_FIXED_HOLIDAYS: frozenset[tuple[int, int]] = frozenset(
    {(1, 1)} | {(5, day) for day in range(1, 6)} | {(10, day) for day in range(1, 8)}
)

_CALENDAR_FILE_KEYS = ("holidays", "workdays")


def _fallback_is_working_day(day: date) -> bool:
    """Approximates a year the library has no data for: weekends and fixed-date holidays off.

    This is deliberately an approximation: it knows no lunar holidays and no make-up working days.
    """
    if day.weekday() >= 5:
        return False
    return (day.month, day.day) not in _FIXED_HOLIDAYS


@dataclass(frozen=True)
class WorkingCalendar:
    """Decides which local dates are working days and turns "n working days" into an instant."""

    tz: ZoneInfo
    extra_holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        both = self.extra_holidays & self.extra_workdays
        if both:
            listed = ", ".join(sorted(day.isoformat() for day in both))
            raise ValueError(f"dates listed both as holiday and as workday: {listed}")

    def is_working_day(self, day: date) -> bool:
        """Operator extras win over the library data, which wins over the fallback."""
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            # The library raises for years outside its data; a deadline must never crash.
            return _fallback_is_working_day(day)

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

    def start_of_day(self, day: date) -> datetime:
        """Returns the first instant of the local date ``day`` in the calendar's time zone."""
        local = datetime.combine(day, time.min, tzinfo=self.tz)
        # The round trip through UTC turns a midnight skipped by a DST jump into a real instant.
        return local.astimezone(UTC).astimezone(self.tz)

    def deadline_date(self, deadline: datetime) -> date:
        """Returns the last local date a deadline covers, for showing a deadline as a date.

        A deadline at local midnight covers the day before it, not the day it opens.
        """
        if deadline.tzinfo is None:
            raise ValueError("deadline_date needs a timezone-aware deadline")
        local = deadline.astimezone(self.tz)
        if local.time() == time.min:
            return local.date() - timedelta(days=1)
        return local.date()


def load_calendar_file(path: Path | str) -> tuple[frozenset[date], frozenset[date]]:
    """Reads the operator's extra holidays and make-up working days from a TOML file.

    The file looks like ``holidays = ["2027-01-01"]`` and ``workdays = ["2027-02-07"]``; native
    TOML dates work too. Returns ``(holidays, workdays)``. Any bad entry raises a ValueError that
    names it, because a silently skipped date would shift every deadline around it.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from exc
    unknown = sorted(set(data) - set(_CALENDAR_FILE_KEYS))
    if unknown:
        raise ValueError(f"{path}: unknown keys {', '.join(unknown)}; expected holidays, workdays")
    holidays = _parse_dates(path, "holidays", data.get("holidays", []))
    workdays = _parse_dates(path, "workdays", data.get("workdays", []))
    both = holidays & workdays
    if both:
        listed = ", ".join(sorted(day.isoformat() for day in both))
        raise ValueError(f"{path}: dates listed both as holiday and as workday: {listed}")
    return holidays, workdays


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
    if holiday_file is not None:
        file_holidays, file_workdays = load_calendar_file(holiday_file)
        holidays |= file_holidays
        workdays |= file_workdays
    return WorkingCalendar(tz=tz, extra_holidays=holidays, extra_workdays=workdays)
