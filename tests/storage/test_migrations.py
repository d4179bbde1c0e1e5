"""Every Alembic revision upgrades and downgrades cleanly, and the head matches the models."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, inspect, select
from sqlalchemy.engine import Connection

from storage.db import make_engine
from storage.migrate import downgrade, revisions, upgrade
from storage.models import Base, CaseEventRow, CaseRow, OrderRow
from storage.schema_version import head_revision, is_current, revision_ids, stamped_revisions
from tests.storage.factories import T0

pytestmark = pytest.mark.usefixtures("backend")


async def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def _diff(url: str) -> list[Any]:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, Base.metadata))

    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(compare)
    finally:
        await engine.dispose()


def test_revisions_form_a_single_line_starting_at_0001() -> None:
    assert revisions()[:2] == ["0001", "0002"]


def test_the_revision_ids_are_the_file_prefixes_so_the_head_is_known_without_alembic() -> None:
    # The bot's start-up check (storage.schema_version) relies on this naming.
    assert revision_ids() == revisions()
    assert head_revision() == revisions()[-1]


async def test_a_database_is_current_only_at_the_head(empty_database: str) -> None:
    assert await stamped_revisions(empty_database) == []
    assert not await is_current(empty_database)
    await upgrade(empty_database, revisions()[-2])
    assert await stamped_revisions(empty_database) == [revisions()[-2]]
    assert not await is_current(empty_database)
    await upgrade(empty_database)
    assert await is_current(empty_database)


async def test_stairway_every_revision_upgrades_downgrades_and_upgrades_again(
    empty_database: str,
) -> None:
    previous = "base"
    for revision in revisions():
        await upgrade(empty_database, revision)
        await downgrade(empty_database, previous)
        await upgrade(empty_database, revision)
        previous = revision
    await downgrade(empty_database, "base")
    assert await _tables(empty_database) == {"alembic_version"}


async def test_the_migrated_schema_matches_the_models(empty_database: str) -> None:
    await upgrade(empty_database)
    assert await _tables(empty_database) == set(Base.metadata.tables) | {"alembic_version"}
    assert await _diff(empty_database) == []


async def test_0002_gives_existing_cases_their_orders_merchant_and_amount(
    empty_database: str,
) -> None:
    await upgrade(empty_database, "0001")
    engine = make_engine(empty_database)
    try:
        # Only columns 0001 knows: the current models' INSERT names no others.
        async with engine.begin() as connection:
            await connection.execute(
                insert(OrderRow).values(
                    order_no="KM1",
                    buyer_account="lihua_88",
                    merchant_code="M1001",
                    product="点券",
                    category="game_card",
                    amount=6000,
                    currency="CNY",
                    paid_at=T0,
                    status="delivered",
                )
            )
            await connection.execute(
                insert(CaseRow).values(
                    case_no="TS1",
                    order_no="KM1",
                    buyer_id=1,
                    status="in_review",
                    reason="card_invalid",
                    description="",
                    refund_amount=6000,
                    refund_method="original",
                    currency="CNY",
                    created_at=T0,
                    updated_at=T0,
                    open_order_no="KM1",
                )
            )
        await upgrade(empty_database, "0002")
        async with engine.connect() as connection:
            # Only columns 0002 knows: later revisions add more to the model.
            columns = [
                CaseRow.merchant_code, CaseRow.order_amount, CaseRow.offer_declined,
                CaseRow.assignee_id, CaseRow.deadline_kind, CaseRow.approved_amount,
            ]
            row = (await connection.execute(select(*columns))).one()
        assert (row.merchant_code, row.order_amount, row.offer_declined) == ("M1001", 6000, False)
        assert (row.assignee_id, row.deadline_kind, row.approved_amount) == (None, None, None)
        await downgrade(empty_database, "0001")
        async with engine.connect() as connection:
            cases = (await connection.execute(select(CaseRow.case_no))).scalars().all()
        assert cases == ["TS1"]  # the downgrade drops the new columns, not the cases
    finally:
        await engine.dispose()


async def test_0006_gives_existing_cases_their_chain_head_and_a_salt(empty_database: str) -> None:
    before = revisions()[revisions().index("0006") - 1]
    await upgrade(empty_database, before)
    engine = make_engine(empty_database)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                insert(OrderRow).values(
                    order_no="KM1", buyer_account="lihua_88", merchant_code="M1001",
                    product="点券", category="game_card", amount=6000, currency="CNY",
                    paid_at=T0, status="delivered",
                )
            )
            for case_no in ("TS1", "TS2"):
                await connection.execute(
                    insert(CaseRow).values(
                        case_no=case_no, order_no="KM1", buyer_id=1, status="rejected",
                        reason="card_invalid", description="", refund_amount=6000,
                        refund_method="original", currency="CNY", created_at=T0, updated_at=T0,
                    )
                )
            for seq in (1, 2):
                await connection.execute(
                    insert(CaseEventRow).values(
                        case_no="TS1", seq=seq, at=T0, actor_kind="agent", actor_id=7,
                        action="x", from_status=None, to_status="rejected", note="",
                        amount=None, extra={}, prev_hash=str(seq - 1) * 64, hash=str(seq) * 64,
                    )
                )
        await upgrade(empty_database, "0006")
        async with engine.connect() as connection:
            columns = [CaseRow.case_no, CaseRow.event_count, CaseRow.head_hash, CaseRow.audit_salt]
            rows = (await connection.execute(select(*columns).order_by(CaseRow.case_no))).all()
        assert [(row.case_no, row.event_count, row.head_hash) for row in rows] == [
            ("TS1", 2, "2" * 64),
            ("TS2", 0, ""),
        ]
        assert len({row.audit_salt for row in rows}) == 2
        assert all(len(row.audit_salt) == 32 for row in rows)
    finally:
        await engine.dispose()
