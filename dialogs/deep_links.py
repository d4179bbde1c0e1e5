"""Signed complaint links: `/start complain_<ORDER_NO>_<EXPIRES>_<SIGNATURE>`.

The platform's order page links a buyer to the bot for one order. Signed with
DEEP_LINK_SECRET, such a link says the platform made it for that order and until when, so a
link edited to another order, or kept past its time, starts nothing: the buyer is told to use
/complain, which asks for the order and checks that it is theirs. A signed link still asks the
ownership question too, since a link can be forwarded.

The parts (README "Complaint links" is the contract the platform builds them by):
- EXPIRES: the link's end as Unix time in seconds, in base 36, lower case;
- SIGNATURE: the first 10 bytes of HMAC-SHA256(secret, "complain:<ORDER_NO>:<EXPIRES>"),
  in RFC 4648 base32 without padding (16 characters).
Neither part contains "_", so an order number with "_" in it still splits right. Telegram
takes at most 64 characters of A-Z, a-z, 0-9, "_" and "-" as a start parameter.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import string
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

PREFIX: Final = "complain_"
START_PARAMETER_MAX: Final = 64  # Telegram's limit for ?start=
SIGNATURE_BYTES: Final = 10  # 80 bits: out of reach of guessing, and short enough for the limit
_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")
_DIGITS = string.digits + string.ascii_lowercase


@dataclass(frozen=True)
class LinkCheck:
    """What a complaint link says: its order if the link is good, else why not."""

    order_no: str | None
    expired: bool = False


def sign(secret: bytes, order_no: str, expires_at: datetime) -> str:
    """The start parameter for a complaint link about `order_no`, good until `expires_at`.

    Raises ValueError when the order number cannot be carried by a start parameter.
    """
    expires = _base36(int(expires_at.timestamp()))
    parameter = f"{PREFIX}{order_no}_{expires}_{_signature(secret, order_no, expires)}"
    if not _ALPHABET.fullmatch(order_no) or len(parameter) > START_PARAMETER_MAX:
        raise ValueError(order_no)
    return parameter


def check(secret: bytes, rest: str, now: datetime) -> LinkCheck:
    """Reads what follows `complain_`: the order when signed with `secret` and not expired."""
    parts = rest.rsplit("_", 2)
    if len(parts) != 3 or not parts[0]:
        return LinkCheck(None)
    order_no, expires, signature = parts
    expected = _signature(secret, order_no, expires)
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        return LinkCheck(None)
    try:
        ends = datetime.fromtimestamp(int(expires, 36), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return LinkCheck(None)
    if ends <= now:
        return LinkCheck(None, expired=True)
    return LinkCheck(order_no)


def _signature(secret: bytes, order_no: str, expires: str) -> str:
    message = f"complain:{order_no}:{expires}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()[:SIGNATURE_BYTES]
    return base64.b32encode(digest).decode().rstrip("=")


def _base36(number: int) -> str:
    digits = ""
    while True:
        number, digit = divmod(number, 36)
        digits = _DIGITS[digit] + digits
        if number == 0:
            return digits
