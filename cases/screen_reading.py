"""What a screenshot says, as far as the case is concerned: read text matched against the order.

The bot reads stored images in the background (bot/screen_reader.py) and keeps the text; this
module decides what that text means: whether the order number, the card code, the paid amount
and one of the policy's failure texts (已使用, 兑换失败, "already used" ...) appear in it.

Matching is tolerant of what screenshots and OCR do to text: full-width characters (ＤＤ２０, ￥),
spaces and dashes inside codes, and the letters OCR confuses with digits in codes (O/0, I/l/1).
An amount counts only when it is written as money (¥30, 30元, 30.00): a bare "30" is any number.
Nothing here reads images or touches the database.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from cases.money import to_decimal

# Shorter codes would be found by chance in any screenful of digits.
MIN_CODE_LENGTH = 4


class ReadingStatus(StrEnum):
    READING = "reading"  # claimed; a row left in this state means the read never finished
    DONE = "done"
    FAILED = "failed"  # the image could not be read (refused, timed out, or the reader broke)


@dataclass(frozen=True)
class Matches:
    order_no: bool = False
    card_code: bool = False
    amount: bool = False
    failure_texts: tuple[str, ...] = ()  # the policy's texts found, in the policy's order

    @property
    def any(self) -> bool:
        return self.order_no or self.card_code or self.amount or bool(self.failure_texts)

    def to_json(self) -> dict[str, object]:
        return {
            "order_no": self.order_no,
            "card_code": self.card_code,
            "amount": self.amount,
            "failure_texts": list(self.failure_texts),
        }

    @classmethod
    def from_json(cls, raw: dict[str, object] | None) -> Matches:
        if not raw:
            return cls()
        texts = raw.get("failure_texts") or []
        return cls(
            order_no=bool(raw.get("order_no")),
            card_code=bool(raw.get("card_code")),
            amount=bool(raw.get("amount")),
            failure_texts=tuple(str(text) for text in texts) if isinstance(texts, list) else (),
        )


@dataclass(frozen=True)
class ScreenReading:
    """One evidence image's reading: its state, the text read and what it matched."""

    evidence_id: int
    case_no: str
    status: ReadingStatus
    attempts: int = 0  # reads started (a process that died mid-read leaves one counted)
    text: str = ""
    matches: Matches = field(default_factory=Matches)
    error: str | None = None
    started_at: datetime | None = None
    read_at: datetime | None = None
    duration_ms: int | None = None


@dataclass(frozen=True)
class ScreenFacts:
    """What a screenshot of this case would show when it backs the complaint."""

    order_no: str
    amount: int  # fen, the paid amount
    card_code: str | None = None


def match(text: str, facts: ScreenFacts, failure_texts: tuple[str, ...]) -> Matches:
    """What of the case's facts and of the failure texts the read text contains."""
    plain = _plain(text)
    return Matches(
        order_no=_has_code(plain, facts.order_no),
        card_code=facts.card_code is not None and _has_code(plain, facts.card_code),
        amount=has_amount(plain, facts.amount),
        failure_texts=tuple(t for t in failure_texts if _plain(t) and _plain(t) in plain),
    )


def _plain(text: str) -> str:
    """Full-width folded to half-width (NFKC), lower case, without whitespace."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"\s+", "", folded)


# Letters OCR takes for digits (and back) in codes; both sides are folded the same way.
_CODE_FOLD = str.maketrans({"o": "0", "i": "1", "l": "1", "|": "1"})


def _code_form(text: str) -> str:
    """Letters and digits only, confusable letters as digits: "DD-2O26 1l" -> "dd20261"."""
    return re.sub(r"[^0-9a-z]", "", text.translate(_CODE_FOLD))


def _has_code(plain: str, code: str) -> bool:
    wanted = _code_form(_plain(code))
    return len(wanted) >= MIN_CODE_LENGTH and wanted in _code_form(plain)


# A number written as money: a currency sign before it, 元/块 after it, or two decimals.
_MONEY = re.compile(
    r"(?<![0-9.])(?P<pre>[¥￥]|cny|rmb)?:?(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?P<dec>\.\d{1,2})?"
    r"(?![0-9])(?P<post>元|块)?"
)


def has_amount(text: str, amount: int) -> bool:
    """Whether the amount (fen) appears written as money: ¥30, ￥30.00, 30元, 30.00, RMB30."""
    wanted = to_decimal(amount)
    for found in _MONEY.finditer(_plain(text)):
        dec = found["dec"] or ""
        if not (found["pre"] or found["post"] or len(dec) == 3):
            continue
        try:
            value = Decimal(found["num"].replace(",", "") + dec)
        except InvalidOperation:
            continue
        if value == wanted:
            return True
    return False


def excerpt(text: str, limit: int) -> str:
    """The read text on one line, cut to `limit` characters for a card."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
