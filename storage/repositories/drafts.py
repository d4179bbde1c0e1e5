"""The saved dialog state of each user, so a conversation survives a restart."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DialogDraftRow
from storage.repositories._direct import DirectStatement
from storage.repositories._sql import insert_for


class SqlDraftRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def load(self, user_id: int) -> str | None:
        rows = (await _LOAD.run(self._session, {"user_id": user_id})).rows
        return rows[0].state if rows else None

    async def save(self, user_id: int, state_json: str, at: datetime) -> None:
        params = {"user_id": user_id, "state": state_json, "at": at}
        await _SAVE.run(self._session, params)

    async def delete(self, user_id: int) -> None:
        await self._session.execute(
            delete(DialogDraftRow)
            .where(DialogDraftRow.user_id == user_id)
            .execution_options(synchronize_session=False)
        )


_LOAD = DirectStatement.of(
    select(DialogDraftRow.state).where(DialogDraftRow.user_id == bindparam("user_id"))
)


def _build_save(dialect: str) -> Any:
    stmt = insert_for(dialect, DialogDraftRow).values(
        user_id=bindparam("user_id"), state=bindparam("state"), updated_at=bindparam("at")
    )
    return stmt.on_conflict_do_update(
        index_elements=[DialogDraftRow.__table__.c.user_id],
        set_={"state": stmt.excluded.state, "updated_at": stmt.excluded.updated_at},
    )


_SAVE = DirectStatement(_build_save)
