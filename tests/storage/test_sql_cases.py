"""Cases: numbering collisions and one open case per order, guaranteed by the database."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from cases.model import CaseStatus
from cases.ports import DuplicateCaseNumberError, OpenCaseExistsError
from tests.storage.conftest import Database
from tests.storage.factories import T0, case, evidence_file, order


async def _with_orders(db: Database, *order_nos: str) -> None:
    async with db.uow() as uow:
        for order_no in order_nos:
            await uow.orders.upsert(order(order_no))
        await uow.commit()


async def test_a_case_round_trips_with_its_evidence_count(db: Database) -> None:
    await _with_orders(db, "KM1")
    filed = case("TS1", "KM1")
    async with db.uow() as uow:
        await uow.cases.add(filed)
        await uow.evidence.add("TS1", evidence_file("u1"), T0)
        await uow.evidence.add("TS1", evidence_file("u2"), T0)
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.cases.get("TS1") == replace(filed, evidence_count=2)
        assert await uow.cases.get("TS-missing") is None


async def test_a_taken_case_number_raises_duplicate_and_keeps_the_transaction(
    db: Database,
) -> None:
    await _with_orders(db, "KM1", "KM2")
    async with db.uow() as uow:
        await uow.cases.add(case("TS1", "KM1"))
        await uow.commit()
    async with db.uow() as uow:
        await uow.orders.upsert(order("KM3"))
        with pytest.raises(DuplicateCaseNumberError):
            await uow.cases.add(case("TS1", "KM2"))
        # The savepoint kept the rest of the unit of work usable: draw another number.
        await uow.cases.add(case("TS2", "KM2"))
        await uow.commit()
    async with db.uow() as uow:
        assert (await uow.cases.get("TS1")).order_no == "KM1"  # type: ignore[union-attr]
        assert await uow.cases.get("TS2") is not None
        assert await uow.orders.get("KM3") is not None


async def test_a_second_open_case_for_an_order_names_the_first(db: Database) -> None:
    await _with_orders(db, "KM1")
    async with db.uow() as uow:
        await uow.cases.add(case("TS1", "KM1"))
        await uow.commit()
    async with db.uow() as uow:
        with pytest.raises(OpenCaseExistsError) as raised:
            await uow.cases.add(case("TS2", "KM1"))
        assert raised.value.case_no == "TS1"
        assert (await uow.cases.open_for_order("KM1")).case_no == "TS1"  # type: ignore[union-attr]
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.cases.get("TS2") is None


async def test_a_new_case_is_allowed_once_the_open_one_is_final(db: Database) -> None:
    await _with_orders(db, "KM1")
    first = case("TS1", "KM1")
    async with db.uow() as uow:
        await uow.cases.add(first)
        await uow.cases.update(
            replace(first, status=CaseStatus.WITHDRAWN, updated_at=T0 + timedelta(hours=2))
        )
        await uow.cases.add(case("TS2", "KM1"))
        await uow.commit()
    async with db.uow() as uow:
        assert (await uow.cases.open_for_order("KM1")).case_no == "TS2"  # type: ignore[union-attr]
        withdrawn = await uow.cases.get("TS1")
        assert withdrawn is not None
        assert withdrawn.status == CaseStatus.WITHDRAWN
        assert withdrawn.updated_at == T0 + timedelta(hours=2)
        # Reopening the old case would make two open cases: refused.
        with pytest.raises(OpenCaseExistsError) as raised:
            await uow.cases.update(replace(withdrawn, status=CaseStatus.IN_REVIEW))
        assert raised.value.case_no == "TS2"


async def test_updating_an_unknown_case_raises_lookup_error(db: Database) -> None:
    await _with_orders(db, "KM1")
    async with db.uow() as uow:
        with pytest.raises(LookupError):
            await uow.cases.update(case("TS-missing", "KM1"))


async def test_update_saves_status_amounts_and_deadlines(db: Database) -> None:
    await _with_orders(db, "KM1")
    filed = case("TS1", "KM1")
    changed = replace(
        filed,
        status=CaseStatus.AWAITING_MERCHANT,
        refund_amount=3000,
        review_due_at=None,
        next_deadline_at=T0 + timedelta(days=5),
        updated_at=T0 + timedelta(days=1),
    )
    async with db.uow() as uow:
        await uow.cases.add(filed)
        await uow.cases.update(changed)
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.cases.get("TS1") == changed


async def test_a_buyers_cases_are_listed_newest_first(db: Database) -> None:
    await _with_orders(db, "KM1", "KM2", "KM3", "KM4")
    async with db.uow() as uow:
        for i, order_no in enumerate(("KM1", "KM2", "KM3")):
            await uow.cases.add(case(f"TS{i}", order_no, created_at=T0 + timedelta(hours=i)))
        await uow.cases.add(case("TS-other", "KM4", buyer_id=42))
        await uow.commit()
    async with db.uow() as uow:
        listed = await uow.cases.list_for_buyer(7_000_000_001, limit=2)
        assert [c.case_no for c in listed] == ["TS2", "TS1"]
        assert [c.case_no for c in await uow.cases.list_for_buyer(42, 10)] == ["TS-other"]


async def test_a_case_needs_a_known_order(db: Database) -> None:
    async with db.uow() as uow:
        with pytest.raises(IntegrityError, match=r"(?i)foreign key"):
            await uow.cases.add(case("TS1", "KM-unknown"))
