"""The counts behind the risk signals, read through indexes (think a million cases)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Select, text

from cases.model import CaseStatus, Reason
from cases.risk import BuyerRecord, RiskFacts
from storage.repositories.risk import (
    buyer_statement,
    first_order_statement,
    merchant_cases_statement,
    merchant_orders_statement,
)
from tests.storage.conftest import Database
from tests.storage.factories import T0, case, order

OTHER_BUYER = 7_000_000_002


async def test_the_facts_count_the_buyers_cases_the_accounts_first_order_and_the_merchant(
    db: Database,
) -> None:
    async with db.uow() as uow:
        await uow.orders.upsert(order("KM0", paid_at=T0 - timedelta(days=90)))
        for n in range(1, 6):
            await uow.orders.upsert(order(f"KM{n}", paid_at=T0 - timedelta(days=n)))
        await uow.orders.upsert(order("KX", buyer_account="other", merchant_code="M9"))
        m = "M1001"
        await uow.cases.add(case("TS1", "KM1", status=CaseStatus.REJECTED, merchant_code=m))
        await uow.cases.add(
            case(
                "TS2",
                "KM2",
                status=CaseStatus.REFUNDED,
                approved_amount=6000,
                merchant_code=m,
                reason=Reason.QUALITY,
            )
        )
        await uow.cases.add(case("TS3", "KM3", status=CaseStatus.WITHDRAWN, merchant_code=m))
        outside = T0 - timedelta(days=40)  # before the window
        await uow.cases.add(
            case("TS4", "KM4", buyer_id=OTHER_BUYER, merchant_code=m, created_at=outside)
        )
        current = case("TS5", "KM5", merchant_code="M1001", created_at=T0 + timedelta(hours=2))
        await uow.cases.add(current)
        await uow.commit()
    async with db.uow() as uow:
        facts = await uow.risk.facts(current, T0 - timedelta(days=30))
    assert facts == RiskFacts(
        buyer=BuyerRecord(earlier=3, rejected=1, withdrawn=1, decided_for_buyer=1),
        first_order_at=T0 - timedelta(days=90),
        merchant_complaints={Reason.CARD_INVALID: 2, Reason.QUALITY: 1},
        merchant_orders=5,  # KM1..KM5 paid in the window; KM0 before it, KX another merchant's
    )


async def test_an_order_the_data_does_not_know_has_no_first_order(db: Database) -> None:
    async with db.uow() as uow:
        facts = await uow.risk.facts(case("TS9", "KM404", merchant_code="M7"), T0)
    assert facts.first_order_at is None
    assert facts.merchant_orders == 0


STATEMENTS = {
    "buyer": (buyer_statement(case()), "ix_cases_buyer_id_created_at"),
    "first_order": (first_order_statement("KM1"), "ix_orders_buyer_account_paid_at"),
    "merchant_cases": (
        merchant_cases_statement(case(merchant_code="M1"), T0),
        "ix_cases_merchant_code_created_at",
    ),
    "merchant_orders": (merchant_orders_statement("M1", T0), "ix_orders_merchant_code_paid_at"),
}


@pytest.mark.parametrize("backend", ["sqlite"])  # the plan asked about is SQLite's
@pytest.mark.parametrize("name", sorted(STATEMENTS))
async def test_each_risk_query_reads_through_its_index_and_scans_no_table(
    db: Database, name: str
) -> None:
    stmt, index = STATEMENTS[name]
    assert isinstance(stmt, Select)
    compiled = stmt.compile(db.engine.sync_engine, compile_kwargs={"literal_binds": True})
    async with db.engine.connect() as connection:
        plan = [row[3] for row in await connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]
    assert not [step for step in plan if step.startswith("SCAN")], plan
    assert any(index in step for step in plan), plan
