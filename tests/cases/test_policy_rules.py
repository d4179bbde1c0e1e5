"""The complaint policy: defaults, caps, evidence types and strict loading of the TOML file."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from cases.model import Reason
from cases.policy import CapRule, MerchantTimeout, Policy, load_policy

REPO_ROOT = Path(__file__).resolve().parents[2]


def write_policy(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(content, encoding="utf-8")
    return path


def test_defaults_follow_the_published_process() -> None:
    policy = Policy()

    assert policy.complaint_window == timedelta(days=7)
    assert policy.card_code_window == timedelta(hours=48)
    assert policy.review_working_days == 3
    assert policy.evidence_days == 3
    assert policy.merchant_working_days == 2
    assert policy.merchant_timeout == "refund"
    assert policy.arbitration_working_days == 5
    assert policy.refund_working_days == 3
    assert policy.escalation_days == 7
    assert policy.reminder_offsets == (timedelta(hours=24), timedelta(hours=2))
    assert policy.refund_cap_ratio is None
    assert policy.refund_cap_amount is None
    assert policy.max_evidence_files == 10
    assert policy.max_evidence_bytes == 20 * 1024 * 1024
    assert policy.high_value_amount == 50_000
    assert policy.timezone == "Asia/Shanghai"
    assert policy.holiday_file is None


def test_example_policy_file_loads_and_equals_the_defaults() -> None:
    assert load_policy(REPO_ROOT / "policy.example.toml") == Policy()


def test_no_policy_file_means_the_defaults() -> None:
    assert load_policy(None) == Policy()


def test_refund_cap_is_the_order_amount_without_configured_caps() -> None:
    assert Policy().refund_cap(12_345) == 12_345


def test_refund_cap_ratio_rounds_down_to_the_fen() -> None:
    policy = Policy(refund_cap_ratio=Decimal("0.9"))

    assert policy.refund_cap(999) == 899  # 899.1 fen


def test_refund_cap_takes_the_lowest_of_ratio_and_absolute_cap() -> None:
    policy = Policy(refund_cap_ratio=Decimal("0.9"), refund_cap_amount=50_000)

    assert policy.refund_cap(100_000) == 50_000
    assert policy.refund_cap(10_000) == 9_000


def test_absolute_cap_never_raises_a_refund_above_the_order_amount() -> None:
    assert Policy(refund_cap_amount=50_000).refund_cap(3_000) == 3_000


@pytest.mark.parametrize(
    ("mime", "allowed"),
    [
        ("image/png", True),
        ("IMAGE/JPEG", True),
        ("application/pdf", True),
        ("text/plain; charset=utf-8", True),
        ("video/mp4", True),
        ("video/quicktime", False),
        ("application/zip", False),
        ("image/", False),
        ("", False),
        (None, False),
    ],
)
def test_evidence_mime_types_follow_the_allowed_list(mime: str | None, allowed: bool) -> None:
    assert Policy().mime_allowed(mime) is allowed


def test_policy_file_overrides_defaults_with_exact_amounts(tmp_path: Path) -> None:
    path = write_policy(
        tmp_path,
        """
complaint_window_days = 10
card_code_window_hours = 24
merchant_timeout = "escalate"
reminder_offsets_hours = [2, 24, 0.5]
refund_cap_ratio = "0.9"
refund_cap_amount = "500.00"
custom_goods_refused_reasons = ["not_satisfied"]
high_value_amount = "1000.01"
ownership_lock_hours = 0.5
allowed_evidence_mime = ["image/png"]
""",
    )

    policy = load_policy(path)

    assert policy.complaint_window == timedelta(days=10)
    assert policy.card_code_window == timedelta(hours=24)
    assert policy.merchant_timeout is MerchantTimeout.ESCALATE
    assert policy.reminder_offsets == (
        timedelta(hours=24),
        timedelta(hours=2),
        timedelta(minutes=30),
    )
    assert policy.refund_cap_ratio == Decimal("0.9")
    assert policy.refund_cap_amount == 50_000
    assert policy.custom_goods_refused_reasons == frozenset({Reason.NOT_SATISFIED})
    assert policy.high_value_amount == 100_001
    assert policy.ownership_lock == timedelta(minutes=30)
    assert policy.allowed_evidence_mime == ("image/png",)


def test_relative_holiday_file_is_read_from_the_policy_folder(tmp_path: Path) -> None:
    path = write_policy(tmp_path, 'holiday_file = "holidays.toml"\n')

    assert load_policy(path).holiday_file == tmp_path / "holidays.toml"


def test_timezone_setting_overrides_the_policy_file(tmp_path: Path) -> None:
    path = write_policy(tmp_path, 'timezone = "Asia/Shanghai"\n')

    assert load_policy(path, timezone="Asia/Hong_Kong").timezone == "Asia/Hong_Kong"
    assert load_policy(None, timezone="Asia/Taipei").timezone == "Asia/Taipei"


def test_unknown_keys_are_listed(tmp_path: Path) -> None:
    path = write_policy(tmp_path, "complaint_days = 7\nrefund_cap = 1\nreview_working_days = 3\n")

    with pytest.raises(ValueError, match=r"unknown policy keys: complaint_days, refund_cap$"):
        load_policy(path)


@pytest.mark.parametrize(
    ("content", "key"),
    [
        ("complaint_window_days = 0", "complaint_window_days"),
        ('complaint_window_days = "7"', "complaint_window_days"),
        ("review_working_days = 1.5", "review_working_days"),
        ("review_working_days = true", "review_working_days"),
        ("merchant_working_days = -1", "merchant_working_days"),
        ('merchant_timeout = "ignore"', "merchant_timeout"),
        ("refund_cap_ratio = 0.9", "refund_cap_ratio"),
        ('refund_cap_ratio = "1.5"', "refund_cap_ratio"),
        ('refund_cap_ratio = "ninety"', "refund_cap_ratio"),
        ("refund_cap_amount = 500", "refund_cap_amount"),
        ('refund_cap_amount = "500.001"', "refund_cap_amount"),
        ('refund_cap_amount = "0"', "refund_cap_amount"),
        ('custom_goods_refused_reasons = "not_satisfied"', "custom_goods_refused_reasons"),
        ('custom_goods_refused_reasons = ["changed_mind"]', "custom_goods_refused_reasons"),
        ('high_value_amount = "abc"', "high_value_amount"),
        ("reminder_offsets_hours = 24", "reminder_offsets_hours"),
        ("reminder_offsets_hours = [24, -2]", "reminder_offsets_hours"),
        ('allowed_evidence_mime = ["pdf"]', "allowed_evidence_mime"),
        ('timezone = "Mars/Olympus"', "timezone"),
        ('holiday_file = ""', "holiday_file"),
        ("description_min = -1", "description_min"),
    ],
)
def test_invalid_values_name_the_key(tmp_path: Path, content: str, key: str) -> None:
    path = write_policy(tmp_path, content + "\n")

    with pytest.raises(ValueError, match=rf"policy\.toml: {key} = "):
        load_policy(path)


def test_minimum_description_above_maximum_is_refused(tmp_path: Path) -> None:
    path = write_policy(tmp_path, "description_min = 50\ndescription_max = 20\n")

    with pytest.raises(ValueError, match="description_min"):
        load_policy(path)


def test_invalid_timezone_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        load_policy(None, timezone="Nowhere/Special")


def test_broken_toml_is_reported_with_the_file_name(tmp_path: Path) -> None:
    path = write_policy(tmp_path, "complaint_window_days = \n")

    with pytest.raises(ValueError, match=r"policy\.toml: not valid TOML"):
        load_policy(path)


def test_the_cap_rule_is_quoted_with_the_policy_numbers_only_where_it_lowers_the_refund() -> None:
    example = Policy(refund_cap_ratio=Decimal("0.9"), refund_cap_amount=50_000)  # 90 %, 500 CNY

    assert example.cap_rule(30_000) == CapRule(percent="90", limit=50_000, cap=27_000)
    assert example.cap_rule(100_000) == CapRule(percent="90", limit=50_000, cap=50_000)
    assert Policy(refund_cap_ratio=Decimal("0.925")).cap_rule(1_000) == CapRule("92.5", None, 925)
    assert Policy(refund_cap_amount=50_000).cap_rule(30_000) is None  # the cap does not bite
    assert Policy(refund_cap_ratio=Decimal("1")).cap_rule(30_000) is None
    assert Policy().cap_rule(30_000) is None


def test_the_screen_failure_texts_are_read_from_the_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text('screen_failure_texts = ["余额不足", " blocked "]\n', encoding="utf-8")
    assert load_policy(path).screen_failure_texts == ("余额不足", "blocked")
    path.write_text("screen_failure_texts = []\n", encoding="utf-8")
    with pytest.raises(ValueError, match="screen_failure_texts"):
        load_policy(path)
