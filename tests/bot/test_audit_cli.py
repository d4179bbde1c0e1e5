"""`complaint-bot audit verify` finds an edited history and names the case and the event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from cases.audit import chain
from cases.model import (
    ActorKind,
    Case,
    CaseEvent,
    CaseStatus,
    Order,
    OrderStatus,
    Reason,
    RefundMethod,
)
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.uow import SqlUnitOfWork
from tests.bot.test_cli import run_cli

AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


async def seed_case(database_url: str, case_no: str, statuses: list[CaseStatus]) -> None:
    await upgrade(database_url)
    engine = make_engine(database_url)
    try:
        async with SqlUnitOfWork(make_session_factory(engine)) as uow:
            order_no = f"KM-{case_no}"
            await uow.orders.upsert(
                Order(order_no, "lihua", "M1", "Steam 100", "game_card", 10000, "CNY",
                      AT, None, OrderStatus.PAID)
            )
            await uow.cases.add(
                Case(case_no, order_no, 1001, statuses[-1], Reason.NOT_DELIVERED,
                     "never arrived at all", 10000, RefundMethod.ORIGINAL, "CNY", AT, AT, None)
            )
            previous: CaseEvent | None = None
            before: CaseStatus | None = None
            for step, status in enumerate(statuses):
                event = CaseEvent(case_no, 0, AT + timedelta(hours=step), ActorKind.AGENT, 7,
                                  f"step{step}", before, status, note=f"note {step}")
                previous = chain(previous, event)
                await uow.events.append(previous)
                before = status
            await uow.commit()
    finally:
        await engine.dispose()


async def tamper(database_url: str, sql: str) -> None:
    engine = make_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(sql))
    finally:
        await engine.dispose()


async def test_an_intact_history_passes(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"
    await seed_case(url, "TS20261120-AAAAA", [CaseStatus.SUBMITTED, CaseStatus.IN_REVIEW])
    await seed_case(url, "TS20261120-BBBBB", [CaseStatus.SUBMITTED])
    result = run_cli(tmp_path, "audit", "verify", extra_env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert "2 cases and 3 events" in result.stdout


async def test_an_edited_note_is_found_and_named(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"
    statuses = [CaseStatus.SUBMITTED, CaseStatus.IN_REVIEW, CaseStatus.REJECTED]
    await seed_case(url, "TS20261120-AAAAA", statuses[:1])
    await seed_case(url, "TS20261120-CCCCC", statuses)
    await tamper(url, "UPDATE case_events SET note = 'nothing happened' WHERE seq = 2")
    result = run_cli(tmp_path, "audit", "verify", extra_env={"DATABASE_URL": url})
    assert result.returncode == 1
    assert "TS20261120-CCCCC" in result.stderr
    assert "event 2" in result.stderr


async def test_a_deleted_event_is_found(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"
    statuses = [CaseStatus.SUBMITTED, CaseStatus.IN_REVIEW, CaseStatus.REJECTED]
    await seed_case(url, "TS20261120-DDDDD", statuses)
    await tamper(url, "DELETE FROM case_events WHERE seq = 2")
    result = run_cli(tmp_path, "audit", "verify", extra_env={"DATABASE_URL": url})
    assert result.returncode == 1
    assert "TS20261120-DDDDD" in result.stderr


async def test_a_deleted_newest_event_is_found(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"
    statuses = [CaseStatus.SUBMITTED, CaseStatus.IN_REVIEW, CaseStatus.REJECTED]
    await seed_case(url, "TS20261120-EEEEE", statuses)
    await tamper(url, "DELETE FROM case_events WHERE seq = 3")
    result = run_cli(tmp_path, "audit", "verify", extra_env={"DATABASE_URL": url})
    assert result.returncode == 1
    assert "case TS20261120-EEEEE ends at event 2" in result.stderr


async def test_published_heads_catch_a_deleted_case(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"
    heads = tmp_path / "published" / "heads.jsonl"
    env = {"DATABASE_URL": url, "AUDIT_HEADS_FILE": str(heads)}
    await seed_case(url, "TS20261120-FFFFF", [CaseStatus.SUBMITTED])
    published = run_cli(tmp_path, "audit", "publish", extra_env=env)
    assert published.returncode == 0, published.stderr
    assert "chain heads of 1 cases (2 events)" in published.stdout  # the case's seal included
    await tamper(url, "DELETE FROM case_events")
    await tamper(url, "DELETE FROM cases")
    result = run_cli(tmp_path, "audit", "verify", "--against", str(heads), extra_env=env)
    assert result.returncode == 1
    assert "case TS20261120-FFFFF, published at" in result.stderr
