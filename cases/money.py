"""Exact money: amounts are integer minor units (fen); text is parsed with Decimal, never float."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal, InvalidOperation

MINOR_UNITS = 100


class MoneyFormatError(ValueError):
    """Raised for text that is not a positive amount with at most two decimals."""


def parse_amount(text: str) -> int:
    """Parses '30', '30.5' or '30.00' (also with a leading ¥ or a trailing currency) into fen."""
    cleaned = text.strip().replace(",", "").replace("¥", "").replace("￥", "")
    for suffix in ("CNY", "cny", "RMB", "rmb", "元"):
        cleaned = cleaned.removesuffix(suffix).strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise MoneyFormatError(text) from exc
    if not value.is_finite() or value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise MoneyFormatError(text)
    return int(value * MINOR_UNITS)


def to_decimal(minor: int) -> Decimal:
    return (Decimal(minor) / MINOR_UNITS).quantize(Decimal("0.01"))


def format_amount(minor: int) -> str:
    """Formats fen as '30.00'."""
    return f"{to_decimal(minor):.2f}"


def apply_ratio(minor: int, ratio: Decimal) -> int:
    """Returns ratio × amount in fen, rounded down so a cap is never exceeded."""
    return int((Decimal(minor) * ratio).to_integral_value(rounding=ROUND_DOWN))


def parse_ratio(raw: object) -> Decimal:
    """Reads a ratio written as a string ("0.9"): greater than 0 and at most 1."""
    # A string, so TOML never turns it into a binary float.
    if not isinstance(raw, str):
        raise TypeError('write the ratio as a string, e.g. "0.9"')
    try:
        ratio = Decimal(raw.strip())
    except InvalidOperation as exc:
        raise ValueError("not a decimal number") from exc
    if not (ratio.is_finite() and 0 < ratio <= 1):
        raise ValueError("must be greater than 0 and at most 1")
    return ratio
