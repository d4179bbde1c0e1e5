"""The saved dialog state of each user, so a conversation survives a restart."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DialogDraftRow
from storage.repositories._sql import dialect_insert


class SqlDraftRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def load(self, user_id: int) -> str | None:
        stmt = select(DialogDraftRow.state).where(DialogDraftRow.user_id == user_id)
        return (await self._session.execute(stmt)).scalar_one_or_none()

    async def save(self, user_id: int, state_json: str, at: datetime) -> None:
        stmt = dialect_insert(self._session, DialogDraftRow).values(
            user_id=user_id, state=state_json, updated_at=at
        )
        await self._session.execute(
            stmt.on_conflict_do_update(
                index_elements=[DialogDraftRow.__table__.c.user_id],
                set_={"state": stmt.excluded.state, "updated_at": stmt.excluded.updated_at},
            )
        )

    async def delete(self, user_id: int) -> None:
        await self._session.execute(
            delete(DialogDraftRow)
            .where(DialogDraftRow.user_id == user_id)
            .execution_options(synchronize_session=False)
        )
