"""The weights and thresholds of the risk score staff see (the policy file's `[risk]` table).

The score says how closely staff should look at a complaint before believing it: each signal
adds its weight (per case, for the buyer's earlier complaints). A weight may be negative where a
signal makes the complaint more credible (earlier complaints decided for the buyer, a merchant
many buyers complain about). The score is a hint for staff; nothing in the process reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from cases.money import parse_ratio

WEIGHT_LIMIT = 1000


@dataclass(frozen=True)
class RiskWeights:
    """Points per signal; the buyer's counts are per earlier case."""

    earlier_complaint: int = 5
    rejected: int = 15  # rejected, or closed without a refund
    withdrawn: int = 5
    decided_for_buyer: int = -5
    new_account: int = 20
    unknown_account: int = 10  # the platform data has no order of the buyer's account
    high_value: int = 15
    merchant_rate: int = -10


@dataclass(frozen=True)
class RiskPolicy:
    window_days: int = 30  # the merchant's complaint rate is counted over this many days
    new_account_days: int = 30  # an account whose first order is younger than this is new
    # A merchant's complaints of the case's type in the window, over its orders in the window,
    # from this rate on (or, when the platform data has none of its orders, from this count on).
    # A few complaints over a few orders say little, so the rate counts from a minimum on.
    merchant_rate: Decimal = Decimal("0.05")
    merchant_min_complaints: int = 3
    merchant_complaints: int = 5
    medium_score: int = 30
    high_score: int = 60
    weights: RiskWeights = field(default_factory=RiskWeights)


def parse_risk(raw: object) -> RiskPolicy:
    """Reads the `[risk]` table strictly: unknown keys and bad values raise ValueError."""
    table = _table(raw, "[risk]")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key == "weights":
            values["weights"] = _weights(value)
        elif key == "merchant_rate":
            values[key] = _rate(value)
        elif key in _COUNTS:
            values[key] = _count(value, key)
        else:
            raise ValueError(f"unknown key risk.{key}")
    policy = replace(RiskPolicy(), **values)
    if policy.medium_score > policy.high_score:
        raise ValueError("risk.medium_score must not exceed risk.high_score")
    return policy


_COUNTS = (
    "window_days",
    "new_account_days",
    "merchant_min_complaints",
    "merchant_complaints",
    "medium_score",
    "high_score",
)


def _weights(raw: object) -> RiskWeights:
    table = _table(raw, "[risk.weights]")
    known = RiskWeights.__dataclass_fields__
    values = {}
    for key, value in table.items():
        if key not in known:
            raise ValueError(f"unknown key risk.weights.{key}")
        # bool is an int in Python, but `true` is never a weight.
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"risk.weights.{key}: expected a whole number")
        if abs(value) > WEIGHT_LIMIT:
            raise ValueError(f"risk.weights.{key}: at most {WEIGHT_LIMIT} either way")
        values[key] = value
    return RiskWeights(**values)


def _table(raw: object, name: str) -> Mapping[str, object]:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{name} must be a table")
    return raw


def _count(raw: object, key: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise ValueError(f"risk.{key}: expected a whole number, at least 1")
    return raw


def _rate(raw: object) -> Decimal:
    try:
        return parse_ratio(raw)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"risk.merchant_rate: {exc}") from exc
