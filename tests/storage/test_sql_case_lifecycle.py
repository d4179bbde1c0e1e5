"""The lifecycle fields of a case, and the read-side queries over cases."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, timedelta

from cases.model import CaseStatus, DeadlineKind
from tests.storage.conftest import Database
from tests.storage.factories import T0, case, order


async def _with_orders(db: Database, *order_nos: str) -> None:
    async with db.uow() as uow:
        for order_no in order_nos:
            await uow.orders.upsert(order(order_no))
        await uow.commit()


async def test_the_lifecycle_fields_round_trip_through_add_get_update_and_list(
    db: Database,
) -> None:
    await _with_orders(db, "KM1")
    negotiating = case(
        "TS1",
        "KM1",
        status=CaseStatus.NEGOTIATING,
        merchant_code="M1001",
        order_amount=6000,
        assignee_id=8_000_000_002,  # beyond 32 bits, like real Telegram ids
        deadline_kind=DeadlineKind.BUYER_DECISION,
        offer_amount=3000,
        offer_declined=True,
        approved_amount=None,
        paused_review_seconds=86_400 + 3_600,
    )
    approved = replace(
        negotiating,
        status=CaseStatus.REFUND_PENDING,
        assignee_id=None,
        deadline_kind=DeadlineKind.REFUND,
        offer_amount=None,
        offer_declined=False,
        approved_amount=5400,
        paused_review_seconds=None,
        updated_at=T0 + timedelta(days=2),
    )
    async with db.uow() as uow:
        await uow.cases.add(negotiating)
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.cases.get("TS1") == negotiating
        assert await uow.cases.list_for_buyer(negotiating.buyer_id, 5) == [negotiating]
        await uow.cases.update(approved)
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.cases.get("TS1") == approved
        assert await uow.cases.open_for_order("KM1") == approved


async def test_a_case_filed_without_lifecycle_fields_reads_back_with_their_defaults(
    db: Database,
) -> None:
    await _with_orders(db, "KM1")
    async with db.uow() as uow:
        await uow.cases.add(case("TS1", "KM1"))
        await uow.commit()
    async with db.uow() as uow:
        stored = await uow.cases.get("TS1")
    assert stored is not None
    assert (stored.merchant_code, stored.order_amount, stored.offer_declined) == ("", 0, False)
    assert stored.deadline_kind is None
    assert stored.assignee_id is stored.offer_amount is stored.approved_amount is None


async def test_the_staff_queue_lists_open_cases_nearest_deadline_first_and_undated_last(
    db: Database,
) -> None:
    await _with_orders(db, "KM1", "KM2", "KM3", "KM4", "KM5")
    cases = [
        case("TS-later", "KM1", next_deadline_at=T0 + timedelta(days=3)),
        case("TS-undated", "KM2", next_deadline_at=None),
        case("TS-sooner", "KM3", next_deadline_at=T0 + timedelta(hours=5)),
        case("TS-refunded", "KM4", status=CaseStatus.REFUNDED, next_deadline_at=T0),
        # Same instant in another time zone than TS-later: ties go by case number.
        case("TS-also-later", "KM5", next_deadline_at=(T0 + timedelta(days=3)).astimezone(UTC)),
    ]
    async with db.uow() as uow:
        for filed in cases:
            await uow.cases.add(filed)
        await uow.commit()
    async with db.uow() as uow:
        queue = await uow.case_queries.open_by_deadline(limit=10)
        first_two = await uow.case_queries.open_by_deadline(limit=2)
    assert [c.case_no for c in queue] == [
        "TS-sooner",
        "TS-also-later",
        "TS-later",
        "TS-undated",
    ]
    assert queue[0] == cases[2]
    assert [c.case_no for c in first_two] == ["TS-sooner", "TS-also-later"]


async def test_counting_a_buyers_cases_includes_final_ones_and_nobody_elses(
    db: Database,
) -> None:
    await _with_orders(db, "KM1", "KM2")
    async with db.uow() as uow:
        await uow.cases.add(case("TS1", "KM1", status=CaseStatus.REJECTED))
        await uow.cases.add(case("TS2", "KM1"))
        await uow.cases.add(case("TS3", "KM2", buyer_id=42))
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.case_queries.count_for_buyer(7_000_000_001) == 2
        assert await uow.case_queries.count_for_buyer(42) == 1
        assert await uow.case_queries.count_for_buyer(43) == 0
