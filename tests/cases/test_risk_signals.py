"""The risk score: each signal with its reason and its points, from configurable weights."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from cases.model import Reason
from cases.policy import Policy, load_policy
from cases.risk import BuyerRecord, Level, RiskFacts, assess
from cases.risk_policy import RiskPolicy, RiskWeights
from tests.fakes.lifecycle import NOW, make_case

CASE = make_case(refund_amount=3000)
OLD_ACCOUNT = NOW - timedelta(days=400)


def names(facts: RiskFacts, policy: Policy | None = None) -> dict[str, int]:
    result = assess(CASE, facts, NOW, policy or Policy())
    return {signal.name: signal.points for signal in result.signals}


def test_an_old_account_without_earlier_complaints_scores_nothing() -> None:
    result = assess(CASE, RiskFacts(first_order_at=OLD_ACCOUNT), NOW, Policy())
    assert (result.score, result.level) == (0, Level.LOW)
    assert [signal.name for signal in result.signals] == ["account_age"]
    assert result.signals[0].params["days"] == 400


def test_earlier_complaints_weigh_how_they_went() -> None:
    buyer = BuyerRecord(earlier=4, rejected=2, withdrawn=1, decided_for_buyer=1)
    # 4 × 5 + 2 × 15 + 1 × 5 − 1 × 5
    assert names(RiskFacts(buyer, OLD_ACCOUNT))["earlier"] == 50


def test_a_new_and_an_unknown_account_are_signals_with_their_own_weights() -> None:
    assert names(RiskFacts(first_order_at=NOW - timedelta(days=3)))["account_new"] == 20
    assert names(RiskFacts())["account_unknown"] == 10


def test_the_high_value_mark_is_a_signal_of_the_score() -> None:
    policy = Policy(high_value_amount=3000)
    assert names(RiskFacts(first_order_at=OLD_ACCOUNT), policy)["high_value"] == 15
    assert "high_value" not in names(RiskFacts(first_order_at=OLD_ACCOUNT), Policy())


def test_a_merchant_complained_about_for_this_reason_lowers_the_score() -> None:
    many = {CASE.reason: 6, Reason.QUALITY: 1}
    facts = RiskFacts(first_order_at=OLD_ACCOUNT, merchant_complaints=many, merchant_orders=100)
    assert names(facts)["merchant_rate"] == -10
    result = assess(CASE, facts, NOW, Policy())
    assert result.score == 0  # never below zero
    assert result.params()["merchant"] == [
        {"reason": CASE.reason.value, "count": 6, "percent": "6.0"},
        {"reason": "quality", "count": 1, "percent": "1.0"},
    ]


def test_a_low_rate_or_too_few_complaints_is_no_merchant_signal() -> None:
    low = RiskFacts(merchant_complaints={CASE.reason: 4}, merchant_orders=100)
    few = RiskFacts(merchant_complaints={CASE.reason: 2}, merchant_orders=10)
    assert "merchant_rate" not in names(low)
    assert "merchant_rate" not in names(few)


def test_without_the_merchants_orders_the_count_alone_decides() -> None:
    assert "merchant_rate" in names(RiskFacts(merchant_complaints={CASE.reason: 5}))
    assert "merchant_rate" not in names(RiskFacts(merchant_complaints={CASE.reason: 4}))
    shown = assess(CASE, RiskFacts(merchant_complaints={CASE.reason: 5}), NOW, Policy())
    assert shown.params()["merchant"][0]["percent"] is None


def test_the_thresholds_set_the_level() -> None:
    policy = replace(Policy(), risk=RiskPolicy(medium_score=10, high_score=20))
    assert assess(CASE, RiskFacts(), NOW, policy).level is Level.MEDIUM  # unknown account: 10
    heavy = replace(policy, risk=replace(policy.risk, weights=RiskWeights(unknown_account=25)))
    assert assess(CASE, RiskFacts(), NOW, heavy).level is Level.HIGH


def test_the_policy_file_sets_weights_and_thresholds(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(
        '[risk]\nwindow_days = 14\nmerchant_rate = "0.1"\nhigh_score = 80\n'
        "[risk.weights]\nrejected = 40\ndecided_for_buyer = -20\n",
        encoding="utf-8",
    )
    risk = load_policy(path).risk
    assert (risk.window_days, str(risk.merchant_rate), risk.high_score) == (14, "0.1", 80)
    assert (risk.weights.rejected, risk.weights.decided_for_buyer) == (40, -20)
    assert risk.weights.new_account == RiskWeights().new_account


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("[risk]\nwindow = 3\n", "risk.window"),
        ("[risk.weights]\nhunch = 3\n", "risk.weights.hunch"),
        ("[risk.weights]\nrejected = 1.5\n", "risk.weights.rejected"),
        ("[risk]\nmerchant_rate = 0.1\n", "risk.merchant_rate"),
        ("[risk]\nmedium_score = 90\n", "medium_score"),
    ],
)
def test_a_bad_risk_table_stops_the_bot_naming_the_key(
    tmp_path: Path, body: str, named: str
) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ValueError, match=named):
        load_policy(path)
