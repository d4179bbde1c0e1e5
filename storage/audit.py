"""Reads cases for `complaint-bot audit`: every case with its rows and history, and the heads.

Batches of cases at a time, so a large database is checked in bounded memory.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import and_, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cases.audit import AuditedCase, Head
from cases.model import CaseEvent
from cases.ports import StoredEvidence
from storage.models import CaseEventRow, CaseRow, EvidenceRow
from storage.repositories.cases import case_select, to_case
from storage.repositories.events import event_from_row
from storage.repositories.evidence import evidence_from_row

BATCH = 200


async def audited_cases(
    session_factory: async_sessionmaker[AsyncSession], batch: int = BATCH
) -> AsyncIterator[AuditedCase]:
    """Yields every case in case-number order, with its evidence, its events and its head."""
    after = ""
    while True:
        async with session_factory() as session:
            rows = (
                await session.execute(
                    case_select()
                    .where(CaseRow.case_no > after)
                    .order_by(CaseRow.case_no)
                    .limit(batch)
                )
            ).all()
            if not rows:
                return
            numbers = [row.case_no for row in rows]
            events: dict[str, list[CaseEvent]] = {number: [] for number in numbers}
            event_rows: Any = await session.execute(
                select(CaseEventRow.__table__)
                .where(CaseEventRow.case_no.in_(numbers))
                .order_by(CaseEventRow.case_no, CaseEventRow.seq)
            )
            for row in event_rows:
                events[row.case_no].append(event_from_row(row))
            evidence: dict[str, list[StoredEvidence]] = {number: [] for number in numbers}
            evidence_rows: Any = await session.execute(
                select(EvidenceRow.__table__)
                .where(EvidenceRow.case_no.in_(numbers))
                .order_by(EvidenceRow.id)
            )
            for row in evidence_rows:
                evidence[row.case_no].append(evidence_from_row(row))
        for row in rows:
            yield AuditedCase(
                case=to_case(row),
                evidence=evidence[row.case_no],
                events=events[row.case_no],
                event_count=row.event_count,
                head_hash=row.head_hash,
            )
        after = numbers[-1]


async def orphaned_case_numbers(session_factory: async_sessionmaker[AsyncSession]) -> list[str]:
    """Case numbers that events or evidence belong to but no case row has: a deleted case.

    The foreign keys forbid this, but a tool that runs without them (the sqlite3 shell, by
    default) does not.
    """
    known = select(CaseRow.case_no)
    query = union(
        select(CaseEventRow.case_no).where(CaseEventRow.case_no.not_in(known)),
        select(EvidenceRow.case_no).where(EvidenceRow.case_no.not_in(known)),
    )
    async with session_factory() as session:
        return sorted(str(number) for number in await session.scalars(query))


async def ordered_heads(
    session_factory: async_sessionmaker[AsyncSession], batch: int = 2_000
) -> AsyncIterator[list[tuple[str, Head]]]:
    """Every case's chain head as its row records it (what a publication writes down), in
    batches, in case-number order as Python sorts it (PostgreSQL by the bytes, whatever the
    database's collation): one statement, so one snapshot of all of them, never all in memory.
    """
    number = CaseRow.case_no
    async with session_factory() as session:
        bind = session.get_bind()
        if bind.dialect.name == "sqlite":
            async for heads in _sqlite_heads(bind.engine.url.database or "", batch):
                yield heads
            return
        query = select(number, CaseRow.event_count, CaseRow.head_hash).order_by(
            number.collate("C")
        )
        result = await session.stream(query.execution_options(yield_per=batch))
        async for rows in result.partitions():
            yield [(case_no, Head(count, head_hash)) for case_no, count, head_hash in rows]


async def _sqlite_heads(database: str, batch: int) -> AsyncIterator[list[tuple[str, Head]]]:
    """On SQLite, read on a connection of its own: the bot's driver fetches every row of a
    statement at once (storage/sqlite_driver.py), 15 MB for 100,000 heads, and a transaction
    through it would hold the write lock. A deferred read transaction is one snapshot and
    holds no lock a writer waits for (WAL)."""
    # Used from one worker thread at a time (asyncio.to_thread), never at once.
    connection = await asyncio.to_thread(
        sqlite3.connect, database, isolation_level=None, check_same_thread=False
    )
    try:
        cursor = await asyncio.to_thread(
            connection.execute,
            "SELECT case_no, event_count, head_hash FROM cases ORDER BY case_no",
        )
        while rows := await asyncio.to_thread(cursor.fetchmany, batch):
            yield [(str(no), Head(int(count), str(digest))) for no, count, digest in rows]
    finally:
        await asyncio.to_thread(connection.close)


async def unsealed_case_numbers(
    session_factory: async_sessionmaker[AsyncSession],
) -> Sequence[str]:
    """Cases whose newest event predates sealing (filed before revision 0006)."""
    newest = and_(
        CaseEventRow.case_no == CaseRow.case_no, CaseEventRow.seq == CaseRow.event_count
    )
    query = (
        select(CaseRow.case_no)
        .join(CaseEventRow, newest)
        .where(or_(CaseEventRow.state_digest == "", CaseEventRow.state_digest.is_(None)))
        .order_by(CaseRow.case_no)
    )
    async with session_factory() as session:
        return [str(number) for number in await session.scalars(query)]
