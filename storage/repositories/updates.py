"""Telegram update ids already handled, so a redelivered update is not handled twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedUpdateRow
from storage.repositories._direct import DirectStatement
from storage.repositories._sql import insert_for


class SqlProcessedUpdateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def mark_processed(self, update_id: int, at: datetime) -> bool:
        """Records the update; False when it was already recorded (by this or another process).

        Called inside the unit of work that handles the update, so the mark and the handling
        commit together: a crash before commit lets the redelivered update be handled again.
        """
        params = {"update_id": update_id, "at": at}
        return bool((await _MARK.run(self._session, params)).rows)

    async def is_processed(self, update_id: int) -> bool:
        stmt = select(ProcessedUpdateRow.update_id).where(ProcessedUpdateRow.update_id == update_id)
        return (await self._session.execute(stmt)).first() is not None


def _build_mark(dialect: str) -> Any:
    table = ProcessedUpdateRow.__table__
    return (
        insert_for(dialect, ProcessedUpdateRow)
        .values(update_id=bindparam("update_id"), processed_at=bindparam("at"))
        .on_conflict_do_nothing(index_elements=[table.c.update_id])
        .returning(table.c.update_id)
    )


_MARK = DirectStatement(_build_mark)
