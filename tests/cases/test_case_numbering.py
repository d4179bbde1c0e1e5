"""Case numbers: payment-local date, Crockford base32 suffix, forgiving parsing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from cases.numbering import CASE_NO_PATTERN, new_case_number, normalize_case_number

SHANGHAI = ZoneInfo("Asia/Shanghai")


def fixed_bytes(value: bytes) -> Callable[[int], bytes]:
    def random_bytes(n: int) -> bytes:
        return value[:n]

    return random_bytes


def test_case_number_has_the_payment_date_and_five_crockford_characters() -> None:
    number = new_case_number(datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI), SHANGHAI)

    assert CASE_NO_PATTERN.fullmatch(number)
    assert number.startswith("TS20261126-")
    assert len(number) == len("TS20261126-7K3Q9")


def test_case_number_uses_the_payment_local_date_not_utc() -> None:
    paid_at = datetime(2026, 11, 25, 16, 30, tzinfo=UTC)  # 00:30 on the 26th in Shanghai

    assert new_case_number(paid_at, SHANGHAI).startswith("TS20261126-")


def test_suffix_encodes_the_random_bits_in_crockford_base32() -> None:
    paid_at = datetime(2026, 11, 26, tzinfo=SHANGHAI)

    assert new_case_number(paid_at, SHANGHAI, fixed_bytes(b"\x00\x00\x00\x00")) == (
        "TS20261126-00000"
    )
    assert new_case_number(paid_at, SHANGHAI, fixed_bytes(b"\xff\xff\xff\xff")) == (
        "TS20261126-ZZZZZ"
    )
    # 25 low bits: 00111 10011 00011 10111 01001 -> 7 K 3 Q 9
    value = (7 << 20) | (19 << 15) | (3 << 10) | (23 << 5) | 9
    assert new_case_number(paid_at, SHANGHAI, fixed_bytes(value.to_bytes(4, "big"))) == (
        "TS20261126-7K3Q9"
    )


def test_case_numbers_differ_from_draw_to_draw() -> None:
    paid_at = datetime(2026, 11, 26, tzinfo=SHANGHAI)

    assert len({new_case_number(paid_at, SHANGHAI) for _ in range(50)}) > 45


def test_naive_payment_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        new_case_number(datetime(2026, 11, 26), SHANGHAI)  # noqa: DTZ001


def test_short_random_source_is_refused() -> None:
    with pytest.raises(ValueError, match="bytes"):
        new_case_number(datetime(2026, 11, 26, tzinfo=SHANGHAI), SHANGHAI, fixed_bytes(b"\x01"))


@pytest.mark.parametrize(
    "text",
    [
        "TS20261126-7K3Q9",
        "  ts20261126-7k3q9\n",
        "TS20261126-7K3Q9 ",
        "ＴＳ２０２６１１２６－７Ｋ３Ｑ９",  # full-width, as a Chinese input method types it
        "TS20261126—7K3Q9",  # em dash
    ],
)
def test_normalize_accepts_what_buyers_type(text: str) -> None:
    assert normalize_case_number(text) == "TS20261126-7K3Q9"


def test_normalize_reads_crockford_confusables_as_digits() -> None:
    assert normalize_case_number("TS2O261126-oIL10") == "TS20261126-01110"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        "TS20261126-7K3Q",  # too short
        "TS20261126-7K3Q9X",  # too long
        "TS20261126 7K3Q9",  # no hyphen
        "TS20261126-7K3QU",  # U is not in the alphabet
        "TS20261399-7K3Q9",  # no such date
        "XS20261126-7K3Q9",
        "TS20261126-7K3Q9 please",
    ],
)
def test_normalize_rejects_text_that_is_not_a_case_number(text: str) -> None:
    assert normalize_case_number(text) is None
