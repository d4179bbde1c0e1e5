"""Imports the platform's order export (CSV) into the orders table.

Returns data only (counts and per-line problems); the CLI decides how to show them. The file is
UTF-8 (a BOM from spreadsheet programs is accepted) with exactly the header in `HEADER`, then
any of `OPTIONAL`: `card_code` (the code delivered, which screenshots are matched against) and
`code_redeemed_at` (when the platform saw the code used, which the instant refund rule reads).
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from cases.model import Order, OrderStatus
from cases.money import MoneyFormatError, parse_amount
from cases.ports import UnitOfWork

HEADER = (
    "order_no",
    "buyer_account",
    "merchant_code",
    "product",
    "category",
    "amount",
    "currency",
    "paid_at",
    "delivered_at",
    "status",
)
CARD_CODE = "card_code"
REDEEMED_AT = "code_redeemed_at"
# Columns a file may add after HEADER, each once, in any order.
OPTIONAL = (CARD_CODE, REDEEMED_AT)
# Column sizes of the orders table: longer values are reported instead of failing the commit.
_MAX_LENGTH = {
    "order_no": 64,
    "buyer_account": 128,
    "merchant_code": 32,
    "product": 255,
    "category": 64,
    CARD_CODE: 128,
}
_REQUIRED = ("order_no", "buyer_account", "merchant_code", "product")
# With shift_to_now, the newest payment in the file lands this long before "now".
SHIFT_NEWEST_PAID_BEFORE_NOW = timedelta(hours=1)


class CsvFormatError(ValueError):
    """The file as a whole cannot be imported (not UTF-8, empty, or a wrong header)."""


@dataclass(frozen=True)
class RowError:
    line: int  # physical line in the file; the header is line 1
    message: str


@dataclass(frozen=True)
class ImportReport:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


async def import_orders_csv(
    uow_factory: Callable[[], UnitOfWork],
    path: Path,
    now: datetime,
    shift_to_now: bool = False,
) -> ImportReport:
    """Upserts every valid row by order number in one transaction; reports the invalid ones.

    Importing the same file again changes nothing. With `shift_to_now` every time in the file
    moves by one delta so that the newest paid_at becomes `now` - 1 hour: the spacing between
    orders (and so which ones are inside the complaint windows) stays as written.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    raw = await asyncio.to_thread(path.read_bytes)
    orders, errors = parse_orders_csv(raw)
    if shift_to_now and orders:
        delta = now - SHIFT_NEWEST_PAID_BEFORE_NOW - max(order.paid_at for _, order in orders)
        orders = [(line, _shifted(order, delta)) for line, order in orders]
    inserted = updated = unchanged = 0
    async with uow_factory() as uow:
        for _, order in orders:
            existing = await uow.orders.get(order.order_no)
            if existing == order:
                unchanged += 1
                continue
            await uow.orders.upsert(order)
            if existing is None:
                inserted += 1
            else:
                updated += 1
        await uow.commit()
    return ImportReport(inserted, updated, unchanged, errors)


def parse_orders_csv(raw: bytes) -> tuple[list[tuple[int, Order]], list[RowError]]:
    """Returns (line, order) for every valid row and a RowError for every invalid one."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvFormatError(f"the file is not UTF-8 text (byte {exc.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise CsvFormatError("the file is empty; expected the header line first") from None
    except csv.Error as exc:
        raise CsvFormatError(f"line 1: {exc}") from None
    columns = _check_header(header)
    orders: list[tuple[int, Order]] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    while True:
        line = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(line, str(exc)))
            continue
        if not any(value.strip() for value in fields):
            continue  # blank lines (e.g. at the end of a hand-edited file) are not rows
        result = _parse_row(columns, fields)
        if isinstance(result, str):
            errors.append(RowError(line, result))
        elif result.order_no in first_line:
            seen = first_line[result.order_no]
            errors.append(RowError(line, f"order_no {result.order_no} already on line {seen}"))
        else:
            first_line[result.order_no] = line
            orders.append((line, result))
    return orders, errors


def _check_header(header: list[str]) -> tuple[str, ...]:
    """The file's columns: HEADER, then any of OPTIONAL."""
    found = [name.strip() for name in header]
    extra = found[len(HEADER) :]
    fits = tuple(found[: len(HEADER)]) == HEADER and set(extra) <= set(OPTIONAL)
    if fits and len(set(extra)) == len(extra):
        return tuple(found)
    expected = ",".join(HEADER)
    missing = [name for name in HEADER if name not in found]
    unexpected = [name for name in found if name not in (*HEADER, *OPTIONAL)]
    problems = []
    if missing:
        problems.append("missing " + ", ".join(missing))
    if unexpected:
        problems.append("unexpected " + ", ".join(repr(name) for name in unexpected))
    if not problems:
        problems.append("columns in the wrong order or repeated: " + ",".join(found))
    raise CsvFormatError(f"header must be exactly {expected!r}: " + "; ".join(problems))


def _parse_row(columns: tuple[str, ...], fields: list[str]) -> Order | str:
    """Returns the order, or the reasons the row is invalid."""
    if len(fields) != len(columns):
        return f"expected {len(columns)} fields, found {len(fields)}"
    values = dict(zip(columns, (value.strip() for value in fields), strict=True))
    values.setdefault(CARD_CODE, "")
    values.setdefault(REDEEMED_AT, "")
    problems: list[str] = []
    for name in _REQUIRED:
        if not values[name]:
            problems.append(f"{name} is empty")
    for name, limit in _MAX_LENGTH.items():
        if len(values[name]) > limit:
            problems.append(f"{name} is longer than {limit} characters")
    amount = _amount(values["amount"], problems)
    currency = values["currency"].upper()
    if not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
        problems.append(f"currency {values['currency']!r} is not a 3-letter code like CNY")
    paid_at = _timestamp("paid_at", values["paid_at"], problems)
    delivered_at = (
        _timestamp("delivered_at", values["delivered_at"], problems)
        if values["delivered_at"]
        else None
    )
    if paid_at and delivered_at and delivered_at < paid_at:
        problems.append("delivered_at is before paid_at")
    redeemed = values[REDEEMED_AT]
    code_redeemed_at = _timestamp(REDEEMED_AT, redeemed, problems) if redeemed else None
    try:
        status = OrderStatus(values["status"].lower())
    except ValueError:
        allowed = "/".join(s.value for s in OrderStatus)
        problems.append(f"status {values['status']!r} is not one of {allowed}")
    if problems or amount is None or paid_at is None:
        return "; ".join(problems)
    return Order(
        order_no=values["order_no"],
        buyer_account=values["buyer_account"],
        merchant_code=values["merchant_code"],
        product=values["product"],
        category=values["category"],
        amount=amount,
        currency=currency,
        paid_at=paid_at,
        delivered_at=delivered_at,
        status=status,
        card_code=values[CARD_CODE] or None,
        code_redeemed_at=code_redeemed_at,
    )


def _amount(text: str, problems: list[str]) -> int | None:
    try:
        amount = parse_amount(text)
    except MoneyFormatError:
        problems.append(f"amount {text!r} is not a number with at most 2 decimals")
        return None
    if amount < 0:
        problems.append(f"amount {text!r} is negative")
        return None
    return amount


def _timestamp(name: str, text: str, problems: list[str]) -> datetime | None:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        problems.append(f"{name} {text!r} is not an ISO 8601 time")
        return None
    if value.tzinfo is None:
        problems.append(f"{name} {text!r} has no UTC offset (write e.g. +08:00)")
        return None
    return value


def _shifted(order: Order, delta: timedelta) -> Order:
    delivered_at = None if order.delivered_at is None else order.delivered_at + delta
    redeemed = None if order.code_redeemed_at is None else order.code_redeemed_at + delta
    return replace(
        order,
        paid_at=order.paid_at + delta,
        delivered_at=delivered_at,
        code_redeemed_at=redeemed,
    )
