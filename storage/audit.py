"""Reads every case's full history for `complaint-bot audit verify`, a batch of cases at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cases.model import CaseEvent
from storage.models import CaseEventRow, CaseRow
from storage.repositories.events import event_from_row

BATCH = 200


async def case_histories(
    session_factory: async_sessionmaker[AsyncSession], batch: int = BATCH
) -> AsyncIterator[tuple[str, list[CaseEvent]]]:
    """Yields (case number, its events in order) for every case, including cases with none."""
    after = ""
    while True:
        async with session_factory() as session:
            numbers = list(
                await session.scalars(
                    select(CaseRow.case_no)
                    .where(CaseRow.case_no > after)
                    .order_by(CaseRow.case_no)
                    .limit(batch)
                )
            )
            if not numbers:
                return
            rows: Any = await session.execute(
                select(CaseEventRow.__table__)
                .where(CaseEventRow.case_no.in_(numbers))
                .order_by(CaseEventRow.case_no, CaseEventRow.seq)
            )
            history: dict[str, list[CaseEvent]] = {number: [] for number in numbers}
            for row in rows:
                history[row.case_no].append(event_from_row(row))
        for number in numbers:
            yield number, history[number]
        after = numbers[-1]
