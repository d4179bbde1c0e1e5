"""Risk signals on a complaint, each with its reason, and the score they add up to.

Staff read them on the case card and the new-case notice; the buyer and the merchant never do
(no text addressed to them takes these values). The facts are plain counts a repository reads
(`cases.ports.RiskQueries`); everything else is decided here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from cases.model import Case, Reason
from cases.policy import Policy


@dataclass(frozen=True)
class BuyerRecord:
    """The buyer's other complaints filed up to this one, by how they went."""

    earlier: int = 0
    rejected: int = 0  # rejected, or closed without a refund
    withdrawn: int = 0
    decided_for_buyer: int = 0  # a refund was approved


@dataclass(frozen=True)
class RiskFacts:
    buyer: BuyerRecord = field(default_factory=BuyerRecord)
    # The first payment of the buyer's platform account that the orders data knows.
    first_order_at: datetime | None = None
    # The merchant's other complaints filed in the window, by reason, and its orders paid in it
    # (0: the platform data has none, so only the counts can be shown).
    merchant_complaints: Mapping[Reason, int] = field(default_factory=dict)
    merchant_orders: int = 0


class Level(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True)
class Signal:
    """One reason in the score: its text key (risk.signal.*), its points, the text's values."""

    name: str
    points: int
    params: Mapping[str, Any]


@dataclass(frozen=True)
class RiskAssessment:
    score: int
    level: Level
    signals: tuple[Signal, ...]
    # The merchant's complaints in the window by type, most first: reason, count, rate or None.
    merchant_by_reason: tuple[tuple[Reason, int, Decimal | None], ...]
    window_days: int

    def params(self) -> dict[str, Any]:
        """The block's text parameters (the staff texts' risk.block)."""
        return {
            "score": self.score,
            "level": self.level.value,
            "signals": [
                {"name": signal.name, "points": signal.points, **signal.params}
                for signal in self.signals
            ],
            "merchant": [
                {"reason": reason.value, "count": count, "percent": _percent(rate)}
                for reason, count, rate in self.merchant_by_reason
            ],
            "window_days": self.window_days,
        }


def window_start(now: datetime, policy: Policy) -> datetime:
    """Where the merchant's complaint-rate window begins."""
    return now - timedelta(days=policy.risk.window_days)


def assess(case: Case, facts: RiskFacts, now: datetime, policy: Policy) -> RiskAssessment:
    """Weighs the signals of one case; every signal shown carries the points it added."""
    risk, weights = policy.risk, policy.risk.weights
    buyer = facts.buyer
    signals = []
    if buyer.earlier:
        points = (
            buyer.earlier * weights.earlier_complaint
            + buyer.rejected * weights.rejected
            + buyer.withdrawn * weights.withdrawn
            + buyer.decided_for_buyer * weights.decided_for_buyer
        )
        signals.append(Signal("earlier", points, _buyer_params(buyer)))
    if facts.first_order_at is None:
        signals.append(Signal("account_unknown", weights.unknown_account, {}))
    else:
        age = max(0, (now - facts.first_order_at).days)
        new = age < risk.new_account_days
        name = "account_new" if new else "account_age"
        points = weights.new_account if new else 0
        signals.append(
            Signal(
                name,
                points,
                {"days": age, "first": facts.first_order_at, "limit": risk.new_account_days},
            )
        )
    if case.refund_amount >= policy.high_value_amount:
        params = {"amount": policy.high_value_amount}
        signals.append(Signal("high_value", weights.high_value, params))
    by_reason = _merchant_rows(facts)
    own = facts.merchant_complaints.get(case.reason, 0)
    if _merchant_flagged(own, facts.merchant_orders, policy):
        rate = _rate(own, facts.merchant_orders)
        signals.append(
            Signal(
                "merchant_rate",
                weights.merchant_rate,
                {
                    "reason": case.reason.value,
                    "count": own,
                    "percent": _percent(rate),
                    "days": risk.window_days,
                },
            )
        )
    score = max(0, sum(signal.points for signal in signals))
    return RiskAssessment(score, _level(score, policy), tuple(signals), by_reason, risk.window_days)


def _buyer_params(buyer: BuyerRecord) -> dict[str, int]:
    return {
        "count": buyer.earlier,
        "rejected": buyer.rejected,
        "withdrawn": buyer.withdrawn,
        "for_buyer": buyer.decided_for_buyer,
    }


def _merchant_flagged(count: int, orders: int, policy: Policy) -> bool:
    if count == 0:
        return False
    risk = policy.risk
    if orders == 0:
        return count >= risk.merchant_complaints
    return count >= risk.merchant_min_complaints and count / Decimal(orders) >= risk.merchant_rate


def _merchant_rows(facts: RiskFacts) -> tuple[tuple[Reason, int, Decimal | None], ...]:
    rows = [
        (reason, count, _rate(count, facts.merchant_orders))
        for reason, count in facts.merchant_complaints.items()
        if count > 0
    ]
    # Most complained-about type first; the reason's id keeps the order stable.
    return tuple(sorted(rows, key=lambda row: (-row[1], row[0].value)))


def _rate(count: int, orders: int) -> Decimal | None:
    return Decimal(count) / orders if orders > 0 else None


def _percent(rate: Decimal | None) -> str | None:
    if rate is None:
        return None
    return str((rate * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _level(score: int, policy: Policy) -> Level:
    if score >= policy.risk.high_score:
        return Level.HIGH
    if score >= policy.risk.medium_score:
        return Level.MEDIUM
    return Level.LOW
