"""Admission rules for a new complaint: order, reason window, description, amount, evidence."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from cases.eligibility import (
    AmountVerdict,
    DescriptionVerdict,
    EvidenceVerdict,
    OrderVerdict,
    check_description,
    check_evidence,
    check_order,
    check_reason,
    check_refund_amount,
    complaint_window_closes,
    custom_reasons_open,
)
from cases.model import EvidenceFile, EvidenceKind, Order, OrderStatus, Reason
from cases.policy import Policy

SHANGHAI = ZoneInfo("Asia/Shanghai")
PAID_AT = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
DELIVERED_AT = PAID_AT + timedelta(hours=3)
POLICY = Policy()

ORDER = Order(
    order_no="KM202611200001",
    buyer_account="buyer@example.com",
    merchant_code="M001",
    product="Game card 100",
    category="game_card",
    amount=10_000,
    currency="CNY",
    paid_at=PAID_AT,
    delivered_at=DELIVERED_AT,
    status=OrderStatus.DELIVERED,
)


def photo(unique_id: str = "u1", size: int | None = 100_000) -> EvidenceFile:
    return EvidenceFile(EvidenceKind.PHOTO, f"file-{unique_id}", unique_id, None, size)


def document(mime: str | None, name: str | None = None, size: int = 1_000) -> EvidenceFile:
    return EvidenceFile(EvidenceKind.DOCUMENT, "file-d", "d1", mime, size, name)


# --- order -------------------------------------------------------------------------------------


def test_unknown_order_is_reported_first() -> None:
    check = check_order(None, PAID_AT, POLICY, open_case_no="TS20261120-00000")

    assert check.verdict is OrderVerdict.UNKNOWN


def test_order_with_an_open_case_shows_that_case_before_other_rules() -> None:
    refunded_and_late = replace(ORDER, status=OrderStatus.REFUNDED, category="custom")

    check = check_order(refunded_and_late, PAID_AT + timedelta(days=30), POLICY, "TS20261120-7K3Q9")

    assert check.verdict is OrderVerdict.OPEN_CASE
    assert check.open_case_no == "TS20261120-7K3Q9"


def test_refunded_order_is_refused_before_the_custom_rule() -> None:
    order = replace(ORDER, status=OrderStatus.REFUNDED, category="custom")

    assert check_order(order, PAID_AT, POLICY, None).verdict is OrderVerdict.REFUNDED


def test_custom_made_goods_pass_the_order_check_as_some_reasons_stay_open() -> None:
    order = replace(ORDER, category=" Custom ")

    assert check_order(order, PAID_AT, POLICY, None).verdict is OrderVerdict.OK


def test_a_policy_refusing_custom_goods_for_every_reason_refuses_before_the_window() -> None:
    order = replace(ORDER, category=" Custom ")
    policy = Policy(custom_goods_refused_reasons=frozenset(Reason))

    check = check_order(order, PAID_AT + timedelta(days=30), policy, None)

    assert check.verdict is OrderVerdict.CUSTOM


@pytest.mark.parametrize("reason", [Reason.NOT_SATISFIED, Reason.NOT_AS_DESCRIBED])
def test_custom_goods_are_refused_for_a_no_reason_type_complaint(reason: Reason) -> None:
    order = replace(ORDER, category="custom")

    check = check_reason(order, reason, DELIVERED_AT, POLICY)

    assert (check.ok, check.custom) == (False, True)
    assert check_reason(ORDER, reason, DELIVERED_AT, POLICY).ok  # not custom: accepted


@pytest.mark.parametrize(
    "reason", [Reason.NOT_DELIVERED, Reason.QUALITY, Reason.FRAUD, Reason.CARD_INVALID]
)
def test_custom_goods_never_delivered_defective_or_a_fraud_can_be_complained_about(
    reason: Reason,
) -> None:
    order = replace(ORDER, category="custom")

    assert check_reason(order, reason, DELIVERED_AT, POLICY).ok


def test_the_policy_says_which_reasons_custom_goods_refuse() -> None:
    order = replace(ORDER, category="custom")
    policy = Policy(custom_goods_refused_reasons=frozenset({Reason.QUALITY}))

    assert not check_reason(order, Reason.QUALITY, DELIVERED_AT, policy).ok
    assert check_reason(order, Reason.NOT_SATISFIED, DELIVERED_AT, policy).ok
    assert Reason.QUALITY not in custom_reasons_open(policy)
    assert custom_reasons_open(POLICY)[0] is Reason.NOT_DELIVERED


def test_complaint_is_accepted_exactly_seven_days_after_payment() -> None:
    check = check_order(ORDER, PAID_AT + timedelta(days=7), POLICY, None)

    assert check.verdict is OrderVerdict.OK
    assert check.ok
    assert check.closed_at is None


def test_complaint_window_closes_seven_days_after_payment() -> None:
    now = PAID_AT + timedelta(days=7, microseconds=1)

    check = check_order(ORDER, now, POLICY, None)

    assert check.verdict is OrderVerdict.WINDOW_CLOSED
    assert check.closed_at == PAID_AT + timedelta(days=7)
    assert not check.ok


def test_complaint_window_follows_the_policy() -> None:
    policy = Policy(complaint_window=timedelta(days=15))

    assert complaint_window_closes(ORDER, policy) == PAID_AT + timedelta(days=15)
    assert check_order(ORDER, PAID_AT + timedelta(days=10), policy, None).ok


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        check_order(ORDER, datetime(2026, 11, 21), POLICY, None)  # noqa: DTZ001


# --- reason ------------------------------------------------------------------------------------


def test_card_code_complaint_is_accepted_exactly_48_hours_after_delivery() -> None:
    check = check_reason(ORDER, Reason.CARD_INVALID, DELIVERED_AT + timedelta(hours=48), POLICY)

    assert check.ok
    assert check.closed_at is None


def test_card_code_complaint_closes_48_hours_after_delivery() -> None:
    now = DELIVERED_AT + timedelta(hours=48, seconds=1)

    check = check_reason(ORDER, Reason.CARD_INVALID, now, POLICY)

    assert not check.ok
    assert check.closed_at == DELIVERED_AT + timedelta(hours=48)


def test_card_code_window_counts_from_payment_when_delivery_is_unknown() -> None:
    order = replace(ORDER, delivered_at=None)

    check = check_reason(order, Reason.CARD_INVALID, PAID_AT + timedelta(hours=49), POLICY)

    assert not check.ok
    assert check.closed_at == PAID_AT + timedelta(hours=48)


def test_other_reasons_have_no_48_hour_limit() -> None:
    check = check_reason(ORDER, Reason.NOT_AS_DESCRIBED, DELIVERED_AT + timedelta(days=5), POLICY)

    assert check.ok


# --- description -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("卡密无效，无法充值", DescriptionVerdict.TOO_SHORT),  # 9 characters
        ("卡密无效，无法充值。", DescriptionVerdict.OK),  # 10 characters, 30 bytes
        ("   short   ", DescriptionVerdict.TOO_SHORT),
        ("   " + "a" * 10 + "   ", DescriptionVerdict.OK),
        ("字" * 1000, DescriptionVerdict.OK),
        ("字" * 1001, DescriptionVerdict.TOO_LONG),
        ("", DescriptionVerdict.TOO_SHORT),
    ],
)
def test_description_length_is_counted_in_characters_after_trimming(
    text: str, verdict: DescriptionVerdict
) -> None:
    assert check_description(text, POLICY) is verdict


# --- refund amount -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "verdict"),
    [
        (0, AmountVerdict.NOT_POSITIVE),
        (-100, AmountVerdict.NOT_POSITIVE),
        (1, AmountVerdict.OK),
        (10_000, AmountVerdict.OK),
        (10_001, AmountVerdict.OVER_CAP),
    ],
)
def test_refund_amount_is_positive_and_at_most_the_order_amount(
    amount: int, verdict: AmountVerdict
) -> None:
    check = check_refund_amount(amount, ORDER, POLICY)

    assert check.verdict is verdict
    assert check.cap == 10_000


def test_refund_amount_respects_the_configured_ratio_cap() -> None:
    policy = Policy(refund_cap_ratio=Decimal("0.9"))

    assert check_refund_amount(9_000, ORDER, policy).ok
    over = check_refund_amount(9_001, ORDER, policy)
    assert over.verdict is AmountVerdict.OVER_CAP
    assert over.cap == 9_000


# --- evidence ----------------------------------------------------------------------------------


def test_telegram_photo_without_mime_is_accepted_as_jpeg() -> None:
    assert check_evidence(photo(), [], POLICY) is EvidenceVerdict.OK


def test_same_file_sent_twice_is_a_duplicate_even_at_the_limit() -> None:
    already = [photo(f"u{index}") for index in range(10)]

    assert check_evidence(photo("u3"), already, POLICY) is EvidenceVerdict.DUPLICATE


def test_eleventh_file_is_too_many() -> None:
    already = [photo(f"u{index}") for index in range(10)]

    assert check_evidence(photo("new"), already, POLICY) is EvidenceVerdict.TOO_MANY
    assert check_evidence(photo("new"), already[:9], POLICY) is EvidenceVerdict.OK


def test_file_over_20_mib_is_too_large() -> None:
    limit = 20 * 1024 * 1024

    assert check_evidence(photo(size=limit), [], POLICY) is EvidenceVerdict.OK
    assert check_evidence(photo(size=limit + 1), [], POLICY) is EvidenceVerdict.TOO_LARGE


def test_file_of_unknown_size_is_left_to_the_download_check() -> None:
    assert check_evidence(photo(size=None), [], POLICY) is EvidenceVerdict.OK


@pytest.mark.parametrize(
    ("mime", "name", "verdict"),
    [
        ("application/pdf", "receipt.pdf", EvidenceVerdict.OK),
        ("text/plain", None, EvidenceVerdict.OK),
        ("image/png", None, EvidenceVerdict.OK),
        ("application/zip", "logs.zip", EvidenceVerdict.BAD_TYPE),
        ("application/x-msdownload", "receipt.pdf", EvidenceVerdict.BAD_TYPE),
        (None, None, EvidenceVerdict.BAD_TYPE),
        (None, "chat.txt", EvidenceVerdict.OK),
        ("application/octet-stream", "receipt.pdf", EvidenceVerdict.OK),
        ("application/octet-stream", "tool.exe", EvidenceVerdict.BAD_TYPE),
    ],
)
def test_document_types_follow_the_allowed_list(
    mime: str | None, name: str | None, verdict: EvidenceVerdict
) -> None:
    assert check_evidence(document(mime, name), [], POLICY) is verdict


def test_video_must_be_mp4() -> None:
    mp4 = EvidenceFile(EvidenceKind.VIDEO, "v", "v1", "video/mp4", 5_000_000)
    mov = replace(mp4, mime_type="video/quicktime")

    assert check_evidence(mp4, [], POLICY) is EvidenceVerdict.OK
    assert check_evidence(mov, [], POLICY) is EvidenceVerdict.BAD_TYPE
