"""Support agents, arbitrators and admins."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from cases.model import StaffMember
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

    async def remove(self, user_id: int) -> bool:
        """Takes the user's role away; True when they had one."""
        result = await self._session.execute(
            delete(StaffRow)
            .where(StaffRow.user_id == user_id)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def list(self) -> Sequence[StaffMember]:
        """Every staff member, by user id."""
        stmt = select(StaffRow.user_id, StaffRow.role).order_by(StaffRow.user_id)
        return [
            StaffMember(user_id=row.user_id, role=row.role)
            for row in await self._session.execute(stmt)
        ]
