"""Case exports for accounting or a regulator: which cases (filters), which columns, which cells.

The same filters and columns serve `/export` in the staff chat and `complaint-bot cases export`.
No free text leaves the bot this way (the buyer's description and rating comments stay in it);
amounts are exact Decimal yuan; times ISO 8601 in the platform's time zone. Text cells that a
spreadsheet would take for a formula get a leading apostrophe (`guard`), so an order number
imported as `=HYPERLINK(...)` opens as text, never runs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo

from cases.model import Case, CaseStatus, is_open
from cases.money import to_decimal


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


# The export's columns, in order: the case's facts, no free text.
COLUMNS: Final = (
    "case_no",
    "order_no",
    "merchant_code",
    "buyer_telegram_id",
    "status",
    "reason",
    "refund_method",
    "currency",
    "order_amount",
    "refund_requested",
    "offer_amount",
    "approved_amount",
    "evidence_count",
    "assignee_telegram_id",
    "next_deadline",
    "next_deadline_at",
    "created_at",
    "updated_at",
    "personal_data_removed_at",
)
# What a spreadsheet reads as the start of a formula (OWASP's CSV injection list: = + - @ and
# the tab and carriage return that some programs skip before one).
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | Decimal | None


def guard(text: str) -> str:
    """The text as a spreadsheet must show it: with a leading ' where it could start a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def mask_id(user_id: int) -> str:
    """A buyer's Telegram id as agents see it: its first two and last two digits."""
    digits = str(user_id)
    if len(digits) <= 4:
        return "*" * len(digits)
    return digits[:2] + "*" * (len(digits) - 4) + digits[-2:]


def row(case: Case, tz: ZoneInfo, *, mask_buyer: bool = False) -> list[Cell]:
    """One line of `COLUMNS`: text guarded, money as Decimal, counts as int, None for empty."""

    def money(minor: int | None) -> Decimal | None:
        return None if minor is None else to_decimal(minor)

    def when(at: datetime | None) -> str | None:
        return None if at is None else at.astimezone(tz).isoformat()

    buyer = mask_id(case.buyer_id) if mask_buyer else str(case.buyer_id)
    return [
        guard(case.case_no),
        guard(case.order_no),
        guard(case.merchant_code),
        buyer,
        case.status.value,
        case.reason.value,
        case.refund_method.value,
        guard(case.currency),
        money(case.order_amount),
        money(case.refund_amount),
        money(case.offer_amount),
        money(case.approved_amount),
        case.evidence_count,
        None if case.assignee_id is None else str(case.assignee_id),
        None if case.deadline_kind is None else case.deadline_kind.value,
        when(case.next_deadline_at),
        when(case.created_at),
        when(case.updated_at),
        when(case.personal_data_removed_at),
    ]


def text_cells(cells: Sequence[Cell]) -> list[str]:
    """A line as CSV writes it: exact decimals, empty for None."""
    return ["" if cell is None else str(cell) for cell in cells]


@dataclass(frozen=True)
class ExportFilter:
    """Which cases: filed in [since, until), in `statuses` (any when empty), of a merchant."""

    since: datetime | None = None
    until: datetime | None = None
    statuses: frozenset[CaseStatus] = field(default_factory=frozenset)
    merchant: str | None = None
    format: ExportFormat = ExportFormat.XLSX

    def matches(self, case: Case) -> bool:
        """The filter as a predicate (the storage query applies the same conditions)."""
        return (
            (self.since is None or case.created_at >= self.since)
            and (self.until is None or case.created_at < self.until)
            and (not self.statuses or case.status in self.statuses)
            and (self.merchant is None or case.merchant_code == self.merchant)
        )


class ExportArgsError(ValueError):
    """An argument of /export that is not one of its forms; `token` is the one refused."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.token = token


_DAYS = re.compile(r"(\d{1,4})d")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})")
_MERCHANT = re.compile(r"[A-Za-z0-9_-]{1,32}")
# A status by its id, or "open" for every status not final.
_STATUS_WORDS: Final = {status.value: status for status in CaseStatus} | {"open": None}


def parse_filter(args: str, now: datetime, tz: ZoneInfo) -> ExportFilter:
    """Reads `[7d|30d|YYYY-MM|YYYY-MM-DD..YYYY-MM-DD] [status=S[,S]] [merchant=CODE] [csv|xlsx]`.

    Any order; each at most once. Periods are whole days in the platform's time zone: `30d` is
    today and the 29 days before. Raises ExportArgsError naming the first word it cannot read.
    """
    found = ExportFilter()
    seen: set[str] = set()
    for token in args.split():
        kind, value = _read(token, now, tz)
        if kind in seen:
            raise ExportArgsError(token)
        seen.add(kind)
        found = _with(found, kind, value)
    return found


def _read(token: str, now: datetime, tz: ZoneInfo) -> tuple[str, object]:
    lower = token.lower()
    if lower in (ExportFormat.CSV, ExportFormat.XLSX):
        return "format", ExportFormat(lower)
    name, sep, value = token.partition("=")
    if sep and name.lower() == "status":
        return "status", _statuses(token, value)
    if sep and name.lower() == "merchant":
        if not _MERCHANT.fullmatch(value):
            raise ExportArgsError(token)
        return "merchant", value
    if sep:
        raise ExportArgsError(token)
    return "period", _period(token, now, tz)


def _statuses(token: str, value: str) -> frozenset[CaseStatus]:
    chosen: set[CaseStatus] = set()
    for word in value.lower().split(","):
        if word not in _STATUS_WORDS:
            raise ExportArgsError(token)
        status = _STATUS_WORDS[word]
        if status is None:  # "open": every status a case can still move on from
            chosen |= {s for s in CaseStatus if is_open(s)}
        else:
            chosen.add(status)
    return frozenset(chosen)


def _period(token: str, now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    today = now.astimezone(tz).date()
    try:
        if days := _DAYS.fullmatch(token):
            count = int(days.group(1))
            if count < 1:
                raise ExportArgsError(token)
            return _start(today - timedelta(days=count - 1), tz), _start(today + timedelta(1), tz)
        if month := _MONTH.fullmatch(token):
            first = date(int(month.group(1)), int(month.group(2)), 1)
            after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            return _start(first, tz), _start(after, tz)
        if span := _RANGE.fullmatch(token):
            start, end = date.fromisoformat(span.group(1)), date.fromisoformat(span.group(2))
            if end < start:
                raise ExportArgsError(token)
            return _start(start, tz), _start(end + timedelta(days=1), tz)
    except ValueError as exc:  # a month 13, a 31 February
        raise ExportArgsError(token) from exc
    raise ExportArgsError(token)


def _start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz)


def _with(found: ExportFilter, kind: str, value: object) -> ExportFilter:
    if kind == "period" and isinstance(value, tuple):
        start, end = value
        return replace(found, since=start, until=end)
    field_name = {"format": "format", "status": "statuses", "merchant": "merchant"}[kind]
    return replace(found, **{field_name: value})  # type: ignore[arg-type]


# The job a chat export runs as (bot/exports.py): the file is built outside the update's turn.
EXPORT_JOB: Final = "case_export"
# What a file sent in chat may hold, in bytes of cell text: under Telegram's 50 MB upload limit
# for bots, with room for the request around it (bot/export_files.py says why it holds for XLSX).
CHAT_EXPORT_MAX_BYTES: Final = 45 * 1024 * 1024
