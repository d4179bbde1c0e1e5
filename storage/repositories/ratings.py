"""Case ratings (cases/ratings.py): asked once per case, answered once, counted for the stats."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cases.ports import RatingGroup
from cases.ratings import Rating
from storage.models import CaseRatingRow, CaseRow
from storage.repositories._sql import dialect_insert

_GROUP_COLUMNS: dict[str, Any] = {
    "reason": CaseRow.reason,
    "merchant": CaseRow.merchant_code,
    "staff": CaseRatingRow.staff_id,
}


class SqlRatingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def ask(self, case_no: str, staff_id: int | None, at: datetime) -> bool:
        # One statement: two processes finishing the same case cannot both ask.
        stmt = (
            dialect_insert(self._session, CaseRatingRow)
            .values(case_no=case_no, staff_id=staff_id, asked_at=at)
            .on_conflict_do_nothing(index_elements=["case_no"])
        )
        result = await self._session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def get(self, case_no: str) -> Rating | None:
        row = await self._session.get(CaseRatingRow, case_no)
        if row is None:
            return None
        return Rating(
            case_no=row.case_no,
            asked_at=row.asked_at,
            staff_id=row.staff_id,
            score=row.score,
            rated_at=row.rated_at,
            comment=row.comment,
        )

    async def rate(self, case_no: str, score: int, at: datetime) -> bool:
        # Conditional on "not rated yet", so a second press (or a second process) changes nothing.
        stmt = (
            update(CaseRatingRow)
            .where(CaseRatingRow.case_no == case_no, CaseRatingRow.score.is_(None))
            .values(score=score, rated_at=at)
            .execution_options(synchronize_session=False)
        )
        return bool((await self._session.execute(stmt)).rowcount)  # type: ignore[attr-defined]

    async def comment(self, case_no: str, text: str) -> bool:
        stmt = (
            update(CaseRatingRow)
            .where(
                CaseRatingRow.case_no == case_no,
                CaseRatingRow.score.is_not(None),
                CaseRatingRow.comment.is_(None),
            )
            .values(comment=text)
            .execution_options(synchronize_session=False)
        )
        return bool((await self._session.execute(stmt)).rowcount)  # type: ignore[attr-defined]

    async def score_counts(
        self,
        by: RatingGroup,
        since: datetime | None,
        until: datetime | None,
        merchant_code: str | None = None,
    ) -> Sequence[tuple[str | int | None, int, int]]:
        # Counted in the database, grouped by score: a million ratings come back as a few rows.
        group = _GROUP_COLUMNS.get(by)
        keys = [CaseRatingRow.score] if group is None else [group, CaseRatingRow.score]
        stmt = (
            select(*keys, func.count())
            .select_from(CaseRatingRow)
            .join(CaseRow, CaseRow.case_no == CaseRatingRow.case_no)
            .where(CaseRatingRow.score.is_not(None))
        )
        if since is not None:
            stmt = stmt.where(CaseRow.created_at >= since)
        if until is not None:
            stmt = stmt.where(CaseRow.created_at < until)
        if merchant_code is not None:
            stmt = stmt.where(CaseRow.merchant_code == merchant_code)
        rows = (await self._session.execute(stmt.group_by(*keys).order_by(*keys))).all()
        if group is None:
            return [("all", int(found[0]), int(found[1])) for found in rows]
        return [(found[0], int(found[1]), int(found[2])) for found in rows]
