"""Refund execution as a port: what the bot asks the platform to pay out, and what came back.

One call to `PlatformGateway.request_refund` is one attempt to pay a case's refund. The case
number is the idempotency key: calling again for the same case never pays twice, so a job
handler may simply call again whenever the result says `retry`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Protocol

from cases.model import Case, RefundMethod

# Approving a refund schedules one payout job (keyed by the approving event), run by the bot's
# payout loop through the configured gateway.
PAYOUT_JOB = "refund_payout"


class RefundStatus(StrEnum):
    """Where a refund stands after one call to the gateway."""

    MANUAL = "manual"  # nothing was sent: staff pay it on the platform and confirm with a button
    ACCEPTED = "accepted"  # the platform took it and pays later
    PAID = "paid"  # the platform says the money is paid out
    REJECTED = "rejected"  # the platform refused it; calling again will not help
    RETRY = "retry"  # a temporary failure: call again later with the same request


@dataclass(frozen=True)
class RefundRequest:
    """One refund for one case; `amount` is fen, `buyer_account` the buyer's account if known."""

    case_no: str
    order_no: str
    amount: int
    currency: str
    method: RefundMethod
    buyer_account: str | None = None

    def __post_init__(self) -> None:
        if not self.case_no or not self.order_no:
            raise ValueError("a refund needs a case number and an order number")
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount <= 0:
            raise ValueError(f"refund amount must be a positive number of fen, got {self.amount!r}")
        if len(self.currency) != 3 or not self.currency.isascii() or not self.currency.isupper():
            raise ValueError(f"currency must be an ISO 4217 code like CNY, got {self.currency!r}")

    @property
    def idempotency_key(self) -> str:
        """One refund per case, so the case number tells a repeated request from a new one."""
        return self.case_no


def refund_request(case: Case, amount: int, buyer_account: str | None = None) -> RefundRequest:
    """Builds the refund request for a case: `amount` (fen) is what was approved."""
    return RefundRequest(
        case_no=case.case_no,
        order_no=case.order_no,
        amount=amount,
        currency=case.currency,
        method=case.refund_method,
        buyer_account=buyer_account,
    )


_WITH_REFERENCE = frozenset({RefundStatus.ACCEPTED, RefundStatus.PAID})
_WITH_REASON = frozenset({RefundStatus.REJECTED, RefundStatus.RETRY})


@dataclass(frozen=True)
class RefundResult:
    """The outcome of one attempt.

    `reference` is the platform's payout id (accepted / paid); `reason` and `code` say why it was
    refused or failed (rejected / retry); `duplicate` marks the platform's answer to a request it
    had already taken; `retry_after` is how long the platform asked us to wait, if it said.
    """

    status: RefundStatus
    reference: str | None = None
    reason: str | None = None
    code: str | None = None
    duplicate: bool = False
    retry_after: timedelta | None = None

    def __post_init__(self) -> None:
        if self.reference is not None and self.status not in _WITH_REFERENCE:
            raise ValueError(f"a {self.status} refund has no platform reference")
        if self.status in _WITH_REASON and not self.reason:
            raise ValueError(f"a {self.status} refund needs a reason")
        if self.duplicate and self.status not in _WITH_REFERENCE:
            raise ValueError("only an accepted or paid refund can be a duplicate")
        if self.retry_after is not None and self.status is not RefundStatus.RETRY:
            raise ValueError("only a retry result carries retry_after")

    @classmethod
    def manual(cls) -> RefundResult:
        return cls(RefundStatus.MANUAL)

    @classmethod
    def accepted(cls, reference: str | None, *, duplicate: bool = False) -> RefundResult:
        return cls(RefundStatus.ACCEPTED, reference=reference, duplicate=duplicate)

    @classmethod
    def paid(cls, reference: str | None, *, duplicate: bool = False) -> RefundResult:
        return cls(RefundStatus.PAID, reference=reference, duplicate=duplicate)

    @classmethod
    def rejected(cls, reason: str, code: str | None = None) -> RefundResult:
        return cls(RefundStatus.REJECTED, reason=reason, code=code)

    @classmethod
    def retry(cls, reason: str, retry_after: timedelta | None = None) -> RefundResult:
        return cls(RefundStatus.RETRY, reason=reason, retry_after=retry_after)

    @property
    def should_retry(self) -> bool:
        """True when the same request should be sent again later (the job reschedules)."""
        return self.status is RefundStatus.RETRY


class PlatformGateway(Protocol):
    """Pays out refunds on the card platform; adapters live in bot/platform_gateway.py."""

    async def request_refund(self, request: RefundRequest) -> RefundResult:
        """Makes one attempt to pay the refund; safe to repeat for the same case number."""
        ...
