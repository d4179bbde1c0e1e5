"""Read-side look-ups over cases: the staff queue and per-buyer counts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cases.model import Case
from storage.models import CaseRow
from storage.repositories.cases import case_select, to_case


class SqlCaseQueries:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def open_by_deadline(self, limit: int) -> Sequence[Case]:
        """Open cases, nearest next_deadline_at first, cases without a deadline last."""
        stmt = (
            case_select()
            # open_order_no is set exactly while a case is open (see CaseRow), so this is the
            # open-case filter without repeating the list of final statuses in SQL.
            .where(CaseRow.open_order_no.is_not(None))
            # Explicit NULLS LAST: PostgreSQL sorts NULLs last by default, SQLite first.
            # case_no breaks ties so pages of the queue are stable.
            .order_by(CaseRow.next_deadline_at.asc().nulls_last(), CaseRow.case_no)
            .limit(limit)
        )
        return [to_case(row) for row in await self._session.execute(stmt)]

    async def count_for_buyer(self, buyer_id: int) -> int:
        """Every case the buyer ever filed, open or final."""
        stmt = select(func.count()).select_from(CaseRow).where(CaseRow.buyer_id == buyer_id)
        return int((await self._session.execute(stmt)).scalar_one())
