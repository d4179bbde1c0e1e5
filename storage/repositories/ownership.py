"""Failed answers to "prove this order is yours", to slow down guessing other people's orders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OwnershipAttemptRow
from storage.repositories._direct import DirectStatement
from storage.repositories._sql import table_of


class SqlOwnershipAttemptRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def failures_since(self, user_id: int, order_no: str, since: datetime) -> int:
        stmt = select(func.count(OwnershipAttemptRow.id)).where(
            OwnershipAttemptRow.user_id == user_id,
            OwnershipAttemptRow.order_no == order_no,
            OwnershipAttemptRow.at >= since,
        )
        return int((await self._session.execute(stmt)).scalar_one())

    async def latest_failures(self, user_id: int, order_no: str, limit: int) -> Sequence[datetime]:
        """Times of the newest failed answers, newest first."""
        params = {"user_id": user_id, "order_no": order_no, "limit": limit}
        return [row.at for row in (await _LATEST.run(self._session, params)).rows]

    async def record_failure(self, user_id: int, order_no: str, at: datetime) -> None:
        await self._session.execute(
            insert(OwnershipAttemptRow).values(user_id=user_id, order_no=order_no, at=at)
        )

    async def clear(self, user_id: int, order_no: str) -> None:
        await _CLEAR.run(self._session, {"user_id": user_id, "order_no": order_no})


_OF_ORDER = (
    OwnershipAttemptRow.user_id == bindparam("user_id"),
    OwnershipAttemptRow.order_no == bindparam("order_no"),
)
# Every account check reads them, and a right answer clears them: run directly (_direct.py).
_LATEST = DirectStatement.of(
    select(OwnershipAttemptRow.at)
    .where(*_OF_ORDER)
    .order_by(OwnershipAttemptRow.at.desc(), OwnershipAttemptRow.id.desc())
    .limit(bindparam("limit"))
)
_CLEAR = DirectStatement.of(delete(table_of(OwnershipAttemptRow)).where(*_OF_ORDER))
