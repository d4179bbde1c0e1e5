"""Support agents, arbitrators and admins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import StaffRow
from storage.repositories._sql import dialect_insert


class SqlStaffRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def role_of(self, user_id: int) -> str | None:
        stmt = select(StaffRow.role).where(StaffRow.user_id == user_id)
        return (await self._session.execute(stmt)).scalar_one_or_none()

    async def set_role(self, user_id: int, role: str, at: datetime) -> None:
        """Adds the user as staff or changes their role; added_at keeps the first time."""
        stmt = dialect_insert(self._session, StaffRow).values(
            user_id=user_id, role=role, added_at=at
        )
        await self._session.execute(
            stmt.on_conflict_do_update(
                index_elements=[StaffRow.__table__.c.user_id], set_={"role": stmt.excluded.role}
            )
        )
