"""Domain objects with sensible defaults, for storage tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from cases.model import (
    ActorKind,
    Case,
    CaseEvent,
    CaseStatus,
    EvidenceFile,
    EvidenceKind,
    Order,
    OrderStatus,
    Reason,
    RefundMethod,
)

SHANGHAI = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 20, 21, 35, 9, 123456, tzinfo=SHANGHAI)


def order(order_no: str = "KM202611200001", **changes: Any) -> Order:
    base = Order(
        order_no=order_no,
        buyer_account="lihua_88",
        merchant_code="M1001",
        product="王者荣耀 点券 600点",
        category="game_card",
        amount=6000,
        currency="CNY",
        paid_at=T0,
        delivered_at=T0 + timedelta(seconds=35),
        status=OrderStatus.DELIVERED,
    )
    return replace(base, **changes)


def case(
    case_no: str = "TS20261120-7K3Q9", order_no: str = "KM202611200001", **changes: Any
) -> Case:
    base = Case(
        case_no=case_no,
        order_no=order_no,
        buyer_id=7_000_000_001,  # beyond 32 bits, like real Telegram ids
        status=CaseStatus.SUBMITTED,
        reason=Reason.CARD_INVALID,
        description="卡密提示已被使用 <b>not bold</b>",
        refund_amount=6000,
        refund_method=RefundMethod.ORIGINAL,
        currency="CNY",
        created_at=T0 + timedelta(hours=1),
        updated_at=T0 + timedelta(hours=1),
        review_due_at=T0 + timedelta(days=3),
        next_deadline_at=T0 + timedelta(days=3),
    )
    return replace(base, **changes)


def evidence_file(unique: str = "AQADxyz", **changes: Any) -> EvidenceFile:
    base = EvidenceFile(
        kind=EvidenceKind.PHOTO,
        file_id=f"AgACAgUAAxkBAAI{unique}",
        file_unique_id=unique,
        mime_type="image/jpeg",
        size=183_004,
        file_name=None,
    )
    return replace(base, **changes)


def event(case_no: str = "TS20261120-7K3Q9", seq: int = 1, **changes: Any) -> CaseEvent:
    base = CaseEvent(
        case_no=case_no,
        seq=seq,
        at=T0 + timedelta(hours=1, minutes=seq),
        actor_kind=ActorKind.BUYER,
        actor_id=7_000_000_001,
        action="submit",
        from_status=None,
        to_status=CaseStatus.SUBMITTED,
        note="",
        amount=None,
        prev_hash="0" * 64,
        hash="a" * 64,
        extra={},
    )
    return replace(base, **changes)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]
