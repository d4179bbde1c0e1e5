"""The transactional outbox: messages queued in the same transaction as the change causing them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxRow
from storage.repositories._sql import dialect_insert


class SqlOutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        chat_id: int,
        payload: Mapping[str, Any],
        due_at: datetime,
        key: str | None = None,
    ) -> None:
        """Queues one message; a message with the same non-None key is not queued twice."""
        # One atomic statement: two transactions queuing the same key at once cannot both
        # insert, and neither fails (NULL keys never conflict, so unkeyed messages all go in).
        stmt = (
            dialect_insert(self._session, OutboxRow)
            .values(chat_id=chat_id, payload=dict(payload), due_at=due_at, key=key, attempts=0)
            .on_conflict_do_nothing(index_elements=[OutboxRow.__table__.c.key])
        )
        await self._session.execute(stmt)
