"""Case numbers such as ``TS20261126-7K3Q9``: the payment date for people, randomness for safety.

The date is the payment's local date, so buyer and staff can place a case in time at a glance.
The suffix is random, not a counter, so nobody can guess a neighbour's case number and ask the
bot about it. Five Crockford base32 characters give 2**25 numbers per day; the store still
enforces uniqueness and draws again on the rare collision.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

# Crockford base32 leaves out I, L, O and U: they are easy to misread or mistype.
CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SUFFIX_LENGTH = 5
PREFIX = "TS"

CASE_NO_PATTERN = re.compile(r"TS(?P<date>[0-9]{8})-(?P<suffix>[0-9A-HJKMNP-TV-Z]{5})")

# Crockford's decoding rules: letters people write for digits are read as those digits.
_CONFUSABLES = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Dashes a phone keyboard or an input method may put where the hyphen belongs.
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"))
_SUFFIX_BITS = SUFFIX_LENGTH * 5


def new_case_number(
    paid_at: datetime,
    tz: ZoneInfo,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
) -> str:
    """Returns a fresh case number for an order paid at ``paid_at``."""
    if paid_at.tzinfo is None:
        raise ValueError("new_case_number needs a timezone-aware payment time")
    local_date = paid_at.astimezone(tz).date()
    needed = (_SUFFIX_BITS + 7) // 8
    raw = random_bytes(needed)
    if len(raw) < needed:
        raise ValueError(f"random_bytes returned {len(raw)} bytes, needed {needed}")
    value = int.from_bytes(raw[:needed], "big") & ((1 << _SUFFIX_BITS) - 1)
    return f"{PREFIX}{local_date:%Y%m%d}-{_encode(value)}"


def _encode(value: int) -> str:
    chars = []
    for _ in range(SUFFIX_LENGTH):
        value, digit = divmod(value, 32)
        chars.append(CROCKFORD_ALPHABET[digit])
    return "".join(reversed(chars))


def normalize_case_number(text: str) -> str | None:
    """Returns the canonical case number the text means, or None when it is not one.

    Accepts what buyers actually send: surrounding spaces, lower case, full-width characters from
    a Chinese input method, and Crockford's confusables (O for 0, I or L for 1).
    """
    folded = unicodedata.normalize("NFKC", text).strip().upper().translate(_DASHES)
    if not folded.startswith(PREFIX):
        return None
    candidate = PREFIX + folded[len(PREFIX) :].translate(_CONFUSABLES)
    match = CASE_NO_PATTERN.fullmatch(candidate)
    if match is None:
        return None
    try:
        # A date that never existed cannot be a payment date, so it is no case number either.
        date(int(candidate[2:6]), int(candidate[6:8]), int(candidate[8:10]))
    except ValueError:
        return None
    return candidate
