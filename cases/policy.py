"""The platform's complaint rules as one immutable value, so every layer reads the same numbers.

Defaults follow the published process (DESIGN.md §2); an operator overrides them in a TOML
policy file (``policy.example.toml`` documents every key). Loading is strict: an unknown key or a
bad value stops the bot at start-up instead of silently running with a rule nobody intended.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cases.checklist import DEFAULT_CHECKLIST, ChecklistItem, parse_checklist, parse_required
from cases.model import Reason
from cases.money import MoneyFormatError, apply_ratio, parse_amount, parse_ratio
from cases.risk_policy import RiskPolicy, parse_risk

MIB = 1024 * 1024


class MerchantTimeout(StrEnum):
    """What happens when the merchant lets the response deadline pass."""

    REFUND = "refund"  # the refund the buyer asked for is approved
    ESCALATE = "escalate"  # the case goes to platform arbitration


@dataclass(frozen=True)
class CapRule:
    """The refund cap as people are told it: the rule's numbers, and what it leaves this order.

    `percent` is the ratio cap as a percentage ("90", "92.5"), `limit` the absolute cap in fen;
    either may be None when that cap is not configured. `cap` is the most this order refunds.
    """

    percent: str | None
    limit: int | None
    cap: int

    def params(self) -> dict[str, str | int | None]:
        """The rule as text parameters (texts `refund_cap.rule`)."""
        return {"percent": self.percent, "limit": self.limit, "cap": self.cap}


@dataclass(frozen=True)
class Policy:
    """Windows, SLAs, caps and upload limits. Amounts are fen; day counts are whole days."""

    complaint_window: timedelta = timedelta(days=7)  # from payment
    card_code_window: timedelta = timedelta(hours=48)  # from delivery, for an invalid card code
    review_working_days: int = 3
    evidence_days: int = 3  # calendar days the buyer has to send more evidence
    merchant_working_days: int = 2
    merchant_timeout: MerchantTimeout = MerchantTimeout.REFUND
    arbitration_working_days: int = 5
    assessment_working_days: int = 10  # a third-party assessment reports within this many
    refund_working_days: int = 3
    escalation_days: int = 7  # calendar days the buyer has to escalate after the merchant answers
    reminder_offsets: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=2))
    refund_cap_ratio: Decimal | None = None  # e.g. Decimal("0.9"); None means no ratio cap
    refund_cap_amount: int | None = None  # fen; None means no absolute cap
    # Consumer law (消费者权益保护法 art. 25) takes custom-made goods (定制商品) out of the 7-day
    # no-reason return only: a custom order that never arrived, is defective or was a fraud can
    # still be complained about. These are the reasons refused for custom goods.
    custom_goods_refused_reasons: frozenset[Reason] = frozenset(
        {Reason.NOT_AS_DESCRIBED, Reason.NOT_SATISFIED}
    )
    ownership_max_failures: int = 3
    ownership_lock: timedelta = timedelta(hours=1)
    max_evidence_files: int = 10
    # The Bot API refuses getFile for files over 20 MB, so a bigger upload could not be kept.
    max_evidence_bytes: int = 20 * MIB
    allowed_evidence_mime: tuple[str, ...] = (
        "image/*",
        "application/pdf",
        "text/plain",
        "video/mp4",
    )
    description_min: int = 10
    description_max: int = 1000
    high_value_amount: int = 50_000  # fen (500 CNY); a risk signal for staff, not a limit
    # What the platform expects to see per reason (cases/checklist.py), and the items whose tick
    # Done and Submit wait for; none by default, so the checklist guides without blocking.
    evidence_checklist: tuple[tuple[Reason, tuple[ChecklistItem, ...]], ...] = DEFAULT_CHECKLIST
    evidence_required_items: frozenset[ChecklistItem] = frozenset()
    risk: RiskPolicy = field(default_factory=RiskPolicy)  # the staff's risk score
    # fen; a refund or ruling deciding more than this needs a second staff member (four eyes).
    # None: one staff member decides any amount.
    four_eyes_amount: int | None = None
    # Instant refund (闪电退款, cases/instant.py): off unless the operator switches it on.
    instant_refund: bool = False
    instant_refund_limit: int = 5_000  # fen; only refunds below it
    instant_refund_rejected_days: int = 90  # no rejected complaint of the buyer's in these days
    instant_refund_max_open_cases: int = 0  # other open cases the buyer may have
    instant_refund_account_days: int = 30  # the account's first order at least this long ago
    instant_contest_working_days: int = 3  # the merchant may contest after the refund is paid
    timezone: str = "Asia/Shanghai"
    holiday_file: Path | None = None
    # Reminders go out between these local times only (the REMINDER_HOURS setting), moved earlier.
    reminder_hours: tuple[time, time] = (time(9), time(21))
    # What a card platform's or game's screen says when a card code or top-up failed; a
    # screenshot showing one is marked on the staff card (cases/screen_reading.py).
    screen_failure_texts: tuple[str, ...] = (
        "已使用",
        "已被使用",
        "未到账",
        "兑换失败",
        "卡密错误",
        "无效",
        "充值失败",
        "已过期",
        "不存在",
        "invalid",
        "already used",
        "already redeemed",
        "expired",
        "failed",
    )

    def refund_cap(self, order_amount: int) -> int:
        """Returns the most a buyer may get back for an order, in fen.

        The smallest of the order amount, the ratio cap (rounded down, so the cap is never
        exceeded by a fen) and the absolute cap, over the caps that are configured.
        """
        caps = [order_amount]
        if self.refund_cap_ratio is not None:
            caps.append(apply_ratio(order_amount, self.refund_cap_ratio))
        if self.refund_cap_amount is not None:
            caps.append(self.refund_cap_amount)
        return max(0, min(caps))

    def cap_rule(self, order_amount: int) -> CapRule | None:
        """Returns the cap rule to quote for an order, or None when no cap lowers its refund.

        Quoting the rule only where it bites keeps it out of every order it does not touch.
        """
        cap = self.refund_cap(order_amount)
        if cap >= order_amount:
            return None
        percent = None
        if self.refund_cap_ratio is not None:
            percent = format((self.refund_cap_ratio * 100).normalize(), "f")
        return CapRule(percent=percent, limit=self.refund_cap_amount, cap=cap)

    def checklist(self, reason: Reason) -> tuple[ChecklistItem, ...]:
        """The items the platform expects for this reason, in the order the buyer sees them."""
        return dict(self.evidence_checklist).get(reason, ())

    def mime_allowed(self, mime: str | None) -> bool:
        """Tells whether an evidence file of this MIME type may be kept; unknown types may not."""
        if not mime:
            return False
        # Parameters such as "; charset=utf-8" do not change what the file is.
        kind = mime.split(";", 1)[0].strip().lower()
        for pattern in self.allowed_evidence_mime:
            allowed = pattern.strip().lower()
            if allowed.endswith("/*"):
                prefix = allowed[:-1]
                if kind.startswith(prefix) and kind != prefix:
                    return True
            elif kind == allowed:
                return True
        return False


def cap_rule_params(policy: Policy, order_amount: int) -> dict[str, str | int | None] | None:
    """The cap rule for an order as text parameters, or None where no cap lowers its refund."""
    rule = policy.cap_rule(order_amount)
    return None if rule is None else rule.params()


def load_policy(
    path: Path | None,
    timezone: str | None = None,
    reminder_hours: tuple[time, time] | None = None,
) -> Policy:
    """Builds the policy from a TOML file, or the defaults when there is no file.

    ``timezone`` is the deployment's TIMEZONE setting: when given, it overrides the file's
    ``timezone`` key, as the environment overrides files for every other setting; so does
    ``reminder_hours`` (the REMINDER_HOURS setting), which has no key in the file. A relative
    ``holiday_file`` is resolved against the policy file's folder, not the working directory.
    """
    values: dict[str, Any] = {}
    if path is not None:
        with path.open("rb") as handle:
            try:
                table = tomllib.load(handle)
            except tomllib.TOMLDecodeError as exc:
                raise ValueError(f"{path}: not valid TOML: {exc}") from exc
        unknown = sorted(set(table) - set(_KEYS))
        if unknown:
            raise ValueError(f"{path}: unknown policy keys: {', '.join(unknown)}")
        for key, raw in table.items():
            field_name, convert = _KEYS[key]
            try:
                values[field_name] = convert(raw)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{path}: {key} = {raw!r}: {exc}") from exc
        if "holiday_file" in values:
            values["holiday_file"] = path.parent / values["holiday_file"]
    if timezone is not None:
        try:
            values["timezone"] = _zone_name(timezone)
        except ValueError as exc:
            raise ValueError(f"timezone = {timezone!r}: {exc}") from exc
    if reminder_hours is not None:
        values["reminder_hours"] = reminder_hours
    policy = Policy(**values)
    if policy.description_min > policy.description_max:
        raise ValueError("description_min must not exceed description_max")
    return policy


def parse_hours(raw: str) -> tuple[time, time]:
    """Reads a daily window such as "09:00-21:00"; the start must come before the end.

    "24:00" is the end of the day, so "00:00-24:00" lets reminders go out at any hour.
    """
    try:
        start, end = (
            time.max if part.strip() == "24:00" else time.fromisoformat(part.strip())
            for part in raw.split("-")
        )
    except ValueError as exc:
        raise ValueError(f"{raw!r} is not a window such as 09:00-21:00") from exc
    if start.tzinfo is not None or end.tzinfo is not None or not start < end:
        raise ValueError(f"{raw!r}: the start must be a local time before the end")
    return start, end


def _count(raw: object) -> int:
    # bool is an int in Python, but `true` is never a sensible number of days.
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise TypeError("expected a whole number")
    if raw < 1:
        raise ValueError("must be at least 1")
    return raw


def _number(raw: object) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise TypeError("expected a number")
    if not raw > 0:
        raise ValueError("must be greater than 0")
    return float(raw)


def _days(raw: object) -> timedelta:
    return timedelta(days=_number(raw))


def _hours(raw: object) -> timedelta:
    return timedelta(hours=_number(raw))


def _offsets(raw: object) -> tuple[timedelta, ...]:
    if not isinstance(raw, list):
        raise TypeError("expected a list of hours, e.g. [24, 2]")
    # Earliest reminder first, each once, whatever order the operator wrote them in.
    return tuple(sorted({_hours(entry) for entry in raw}, reverse=True))


def _amount(raw: object) -> int:
    # Amounts are strings so TOML never turns them into binary floats.
    if not isinstance(raw, str):
        raise TypeError('write the amount as a string, e.g. "500.00"')
    try:
        fen = parse_amount(raw)
    except MoneyFormatError as exc:
        raise ValueError("not an amount with at most two decimals") from exc
    if fen <= 0:
        raise ValueError("must be greater than 0")
    return fen


def _reasons(raw: object) -> frozenset[Reason]:
    if not isinstance(raw, list):
        raise TypeError('expected a list of reasons, e.g. ["not_satisfied"]')
    reasons = set()
    for item in raw:
        try:
            reasons.add(Reason(str(item).strip().lower()))
        except ValueError as exc:
            choices = ", ".join(reason.value for reason in Reason)
            raise ValueError(f"{item!r} is no reason; expected some of {choices}") from exc
    return frozenset(reasons)


def _merchant_timeout(raw: object) -> MerchantTimeout:
    if not isinstance(raw, str):
        raise TypeError("expected a string")
    try:
        return MerchantTimeout(raw.strip().lower())
    except ValueError as exc:
        choices = ", ".join(choice.value for choice in MerchantTimeout)
        raise ValueError(f"expected one of {choices}") from exc


def _mime_list(raw: object) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise TypeError('expected a list such as ["image/*", "application/pdf"]')
    for entry in raw:
        if not isinstance(entry, str) or entry.count("/") != 1 or entry.strip() != entry:
            raise ValueError(f"{entry!r} is not a MIME type such as image/png or image/*")
    return tuple(entry.lower() for entry in raw)


def _zone_name(raw: object) -> str:
    if not isinstance(raw, str):
        raise TypeError("expected a time zone name such as Asia/Shanghai")
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("unknown time zone") from exc
    return raw


def _path(raw: object) -> Path:
    if not isinstance(raw, str) or not raw.strip():
        raise TypeError("expected a file path")
    return Path(raw)


def _texts(raw: object) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        raise TypeError('expected a list of texts, e.g. ["已使用", "invalid"]')
    for entry in raw:
        if not isinstance(entry, str) or not entry.strip():
            raise ValueError(f"{entry!r} is not a text")
    return tuple(entry.strip() for entry in raw)


def _switch(raw: object) -> bool:
    if not isinstance(raw, bool):
        raise TypeError("expected true or false")
    return raw


def _count_or_zero(raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise ValueError("expected a whole number, 0 or more")
    return raw


def _description_min(raw: object) -> int:
    # A minimum of 0 switches the rule off; the maximum must still leave room for text.
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise ValueError("expected a whole number, 0 or more")
    return raw


# TOML key -> (Policy field, converter). Keys carry their unit, so "7" is never ambiguous.
_KEYS: dict[str, tuple[str, Callable[[object], Any]]] = {
    "complaint_window_days": ("complaint_window", _days),
    "card_code_window_hours": ("card_code_window", _hours),
    "review_working_days": ("review_working_days", _count),
    "evidence_days": ("evidence_days", _count),
    "merchant_working_days": ("merchant_working_days", _count),
    "merchant_timeout": ("merchant_timeout", _merchant_timeout),
    "arbitration_working_days": ("arbitration_working_days", _count),
    "assessment_working_days": ("assessment_working_days", _count),
    "refund_working_days": ("refund_working_days", _count),
    "escalation_days": ("escalation_days", _count),
    "reminder_offsets_hours": ("reminder_offsets", _offsets),
    "refund_cap_ratio": ("refund_cap_ratio", parse_ratio),
    "refund_cap_amount": ("refund_cap_amount", _amount),
    "custom_goods_refused_reasons": ("custom_goods_refused_reasons", _reasons),
    "ownership_max_failures": ("ownership_max_failures", _count),
    "ownership_lock_hours": ("ownership_lock", _hours),
    "max_evidence_files": ("max_evidence_files", _count),
    "max_evidence_bytes": ("max_evidence_bytes", _count),
    "allowed_evidence_mime": ("allowed_evidence_mime", _mime_list),
    "description_min": ("description_min", _description_min),
    "description_max": ("description_max", _count),
    "high_value_amount": ("high_value_amount", _amount),
    "evidence_checklist": ("evidence_checklist", parse_checklist),
    "evidence_required_items": ("evidence_required_items", parse_required),
    "risk": ("risk", parse_risk),
    "four_eyes_amount": ("four_eyes_amount", _amount),
    "instant_refund": ("instant_refund", _switch),
    "instant_refund_limit": ("instant_refund_limit", _amount),
    "instant_refund_rejected_days": ("instant_refund_rejected_days", _count),
    "instant_refund_max_open_cases": ("instant_refund_max_open_cases", _count_or_zero),
    "instant_refund_account_days": ("instant_refund_account_days", _count_or_zero),
    "instant_contest_working_days": ("instant_contest_working_days", _count),
    "timezone": ("timezone", _zone_name),
    "holiday_file": ("holiday_file", _path),
    "screen_failure_texts": ("screen_failure_texts", _texts),
}
