"""Failed answers to "prove this order is yours", to slow down guessing other people's orders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OwnershipAttemptRow


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
        stmt = (
            select(OwnershipAttemptRow.at)
            .where(OwnershipAttemptRow.user_id == user_id, OwnershipAttemptRow.order_no == order_no)
            .order_by(OwnershipAttemptRow.at.desc(), OwnershipAttemptRow.id.desc())
            .limit(limit)
        )
        return list((await self._session.execute(stmt)).scalars())

    async def record_failure(self, user_id: int, order_no: str, at: datetime) -> None:
        await self._session.execute(
            insert(OwnershipAttemptRow).values(user_id=user_id, order_no=order_no, at=at)
        )

    async def clear(self, user_id: int, order_no: str) -> None:
        await self._session.execute(
            delete(OwnershipAttemptRow)
            .where(OwnershipAttemptRow.user_id == user_id, OwnershipAttemptRow.order_no == order_no)
            .execution_options(synchronize_session=False)
        )
