"""The platform's admission rules for a new complaint, as verdicts the filing dialog can act on.

Each check returns an enum or a small frozen result, never a sentence: the dialog picks the
locale text for the verdict and quotes the rule (the window, the cap) from the values here.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from cases.model import EvidenceFile, EvidenceKind, Order, OrderStatus, Reason
from cases.policy import Policy

# Telegram re-encodes every photo as JPEG and sends no MIME type for it.
PHOTO_MIME = "image/jpeg"
# What clients send when they do not know; the file name is a better hint then.
_UNKNOWN_MIME = frozenset({"", "application/octet-stream"})


class OrderVerdict(StrEnum):
    OK = "ok"
    UNKNOWN = "unknown"
    REFUNDED = "refunded"
    CUSTOM = "custom"  # 定制商品, when the policy refuses them for every reason
    WINDOW_CLOSED = "window_closed"
    OPEN_CASE = "open_case"  # one case per order: show the existing one instead


@dataclass(frozen=True)
class OrderCheck:
    verdict: OrderVerdict
    closed_at: datetime | None = None  # set for WINDOW_CLOSED: when the window closed
    open_case_no: str | None = None  # set for OPEN_CASE

    @property
    def ok(self) -> bool:
        return self.verdict is OrderVerdict.OK


@dataclass(frozen=True)
class ReasonCheck:
    ok: bool
    closed_at: datetime | None = None  # set when the reason's window closed: when it closed
    custom: bool = False  # set when the order is custom-made and the policy refuses this reason


class DescriptionVerdict(StrEnum):
    OK = "ok"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"


class AmountVerdict(StrEnum):
    OK = "ok"
    NOT_POSITIVE = "not_positive"
    OVER_CAP = "over_cap"


@dataclass(frozen=True)
class AmountCheck:
    verdict: AmountVerdict
    cap: int  # fen: the most this order can refund, to quote back to the buyer

    @property
    def ok(self) -> bool:
        return self.verdict is AmountVerdict.OK


class EvidenceVerdict(StrEnum):
    OK = "ok"
    DUPLICATE = "duplicate"
    TOO_MANY = "too_many"
    TOO_LARGE = "too_large"
    BAD_TYPE = "bad_type"


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("eligibility checks need a timezone-aware 'now'")


def complaint_window_closes(order: Order, policy: Policy) -> datetime:
    """Returns the last instant a complaint about the order is accepted (counted from payment)."""
    return order.paid_at + policy.complaint_window


def card_code_window_closes(order: Order, policy: Policy) -> datetime:
    """Returns the last instant an invalid card code can be reported for the order.

    Counted from delivery; an order with no recorded delivery counts from payment, because the
    buyer must not gain an open-ended window from a missing timestamp.
    """
    start = order.delivered_at if order.delivered_at is not None else order.paid_at
    return start + policy.card_code_window


def check_order(
    order: Order | None, now: datetime, policy: Policy, open_case_no: str | None
) -> OrderCheck:
    """Decides whether a complaint may be filed for the order at ``now``.

    An open case is reported before the refund and window rules: the buyer's question is then
    answered by the existing case, whatever else is true of the order.
    """
    _require_aware(now)
    if order is None:
        return OrderCheck(OrderVerdict.UNKNOWN)
    if open_case_no is not None:
        return OrderCheck(OrderVerdict.OPEN_CASE, open_case_no=open_case_no)
    if order.status == OrderStatus.REFUNDED:
        return OrderCheck(OrderVerdict.REFUNDED)
    if order.is_custom and not custom_reasons_open(policy):
        return OrderCheck(OrderVerdict.CUSTOM)
    closes = complaint_window_closes(order, policy)
    if now > closes:
        return OrderCheck(OrderVerdict.WINDOW_CLOSED, closed_at=closes)
    return OrderCheck(OrderVerdict.OK)


def custom_reasons_open(policy: Policy) -> list[Reason]:
    """Returns the reasons a custom-made order may still be complained about, in menu order."""
    return [reason for reason in Reason if reason not in policy.custom_goods_refused_reasons]


def check_reason(order: Order, reason: Reason, now: datetime, policy: Policy) -> ReasonCheck:
    """Applies the reason's own rules: custom goods refuse some reasons (the policy says which),
    and an invalid card code must be reported within 48 hours."""
    _require_aware(now)
    if order.is_custom and reason in policy.custom_goods_refused_reasons:
        return ReasonCheck(ok=False, custom=True)
    if reason != Reason.CARD_INVALID:
        return ReasonCheck(ok=True)
    closes = card_code_window_closes(order, policy)
    if now > closes:
        return ReasonCheck(ok=False, closed_at=closes)
    return ReasonCheck(ok=True)


def check_description(text: str, policy: Policy) -> DescriptionVerdict:
    """Measures the description in characters (not bytes: Chinese text), ignoring outer spaces."""
    length = len(text.strip())
    if length < policy.description_min:
        return DescriptionVerdict.TOO_SHORT
    if length > policy.description_max:
        return DescriptionVerdict.TOO_LONG
    return DescriptionVerdict.OK


def check_refund_amount(amount_fen: int, order: Order, policy: Policy) -> AmountCheck:
    """Checks the refund the buyer asks for against the order's refund cap."""
    cap = policy.refund_cap(order.amount)
    if amount_fen <= 0:
        return AmountCheck(AmountVerdict.NOT_POSITIVE, cap)
    if amount_fen > cap:
        return AmountCheck(AmountVerdict.OVER_CAP, cap)
    return AmountCheck(AmountVerdict.OK, cap)


def evidence_mime(file: EvidenceFile) -> str | None:
    """Returns the MIME type to judge an evidence file by, or None when it cannot be told."""
    if file.kind == EvidenceKind.PHOTO:
        return PHOTO_MIME
    mime = (file.mime_type or "").strip().lower()
    if mime in _UNKNOWN_MIME and file.file_name:
        guessed, _ = mimetypes.guess_type(file.file_name, strict=False)
        return guessed
    return mime or None


def check_evidence(
    file: EvidenceFile, already: Sequence[EvidenceFile], policy: Policy
) -> EvidenceVerdict:
    """Decides whether one more uploaded file is accepted as evidence.

    A file sent twice is reported as a duplicate before the count limit, so re-sending a photo
    when the limit is reached does not read as "too many". The size limit trusts Telegram's
    figure; an unknown size passes here and is checked again when the file is downloaded.
    """
    if any(item.file_unique_id == file.file_unique_id for item in already):
        return EvidenceVerdict.DUPLICATE
    if len(already) >= policy.max_evidence_files:
        return EvidenceVerdict.TOO_MANY
    if not policy.mime_allowed(evidence_mime(file)):
        return EvidenceVerdict.BAD_TYPE
    if file.size is not None and file.size > policy.max_evidence_bytes:
        return EvidenceVerdict.TOO_LARGE
    return EvidenceVerdict.OK
