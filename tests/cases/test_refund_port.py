"""The refund port's values: a request that cannot be wrong, results that say one thing each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from cases.model import Case, CaseStatus, Reason, RefundMethod
from cases.refunds import RefundRequest, RefundResult, RefundStatus, refund_request

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def test_a_case_becomes_a_request_keyed_by_its_case_number() -> None:
    case = Case(
        case_no="TS20261126-7K3Q9",
        order_no="KM202611260001",
        buyer_id=1001,
        status=CaseStatus.REFUND_PENDING,
        reason=Reason.CARD_INVALID,
        description="卡密无效",
        refund_amount=5000,
        refund_method=RefundMethod.BALANCE,
        currency="CNY",
        created_at=NOW,
        updated_at=NOW,
        review_due_at=None,
    )

    request = refund_request(case, 4500, buyer_account="u-42")

    assert request == RefundRequest(
        "TS20261126-7K3Q9", "KM202611260001", 4500, "CNY", RefundMethod.BALANCE, "u-42"
    )
    assert request.idempotency_key == "TS20261126-7K3Q9"


@pytest.mark.parametrize(
    ("amount", "currency"),
    [(0, "CNY"), (-100, "CNY"), (30.5, "CNY"), (True, "CNY"), (3000, "cny"), (3000, "元")],
)
def test_a_request_refuses_amounts_that_are_not_positive_fen_and_unknown_currencies(
    amount: object, currency: str
) -> None:
    with pytest.raises(ValueError, match=r"amount|currency"):
        RefundRequest("TS1", "KM1", amount, currency, RefundMethod.ORIGINAL)  # type: ignore[arg-type]


def test_only_a_retry_result_asks_to_be_called_again() -> None:
    results = [
        RefundResult.manual(),
        RefundResult.accepted("RF1"),
        RefundResult.paid("RF1", duplicate=True),
        RefundResult.rejected("订单不存在", code="order_not_found"),
        RefundResult.retry("timeout", retry_after=timedelta(seconds=30)),
    ]
    assert [r.should_retry for r in results] == [False, False, False, False, True]
    assert [r.status for r in results] == list(RefundStatus)


@pytest.mark.parametrize(
    "build",
    [
        lambda: RefundResult(RefundStatus.REJECTED),
        lambda: RefundResult(RefundStatus.RETRY, reason=""),
        lambda: RefundResult(RefundStatus.MANUAL, reference="RF1"),
        lambda: RefundResult(RefundStatus.REJECTED, reason="no", duplicate=True),
        lambda: RefundResult(RefundStatus.PAID, retry_after=timedelta(seconds=1)),
    ],
)
def test_a_result_cannot_say_two_contradicting_things(build: Callable[[], RefundResult]) -> None:
    with pytest.raises(ValueError, match=r"refund|retry_after"):
        build()
