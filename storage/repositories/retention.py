"""Deleting bookkeeping rows that have served their purpose, a bounded batch at a time.

Handled inbox rows hold raw updates (users' texts and names), processed_updates only ids, and
sent or failed outbox rows the rendered notices; none is needed once Telegram can no longer
redeliver the update (it keeps updates for 24 hours) or the notice is out. Each call deletes at
most `limit` rows, so one transaction never holds many locks or a long write lock on SQLite.
Several processes may run it at once: rows another process has locked are skipped
(`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer at a time anyway), and deleting a
row that is already gone deletes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboxRow, OutboxRow, ProcessedUpdateRow


class SqlRetentionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def purge_inbox(self, before: datetime, limit: int) -> int:
        """Deletes up to `limit` updates handled (or given up) before `before`."""
        old = InboxRow.done_at < before  # NULL (not handled yet) is never older
        return await self._purge(InboxRow.update_id, old, limit)

    async def purge_processed_updates(self, before: datetime, limit: int) -> int:
        """Deletes up to `limit` processed-update marks recorded before `before`."""
        old = ProcessedUpdateRow.processed_at < before
        return await self._purge(ProcessedUpdateRow.update_id, old, limit)

    async def purge_outbox(self, before: datetime, limit: int) -> int:
        """Deletes up to `limit` messages sent or given up before `before`; pending ones stay."""
        old = or_(OutboxRow.sent_at < before, OutboxRow.failed_at < before)
        return await self._purge(OutboxRow.id, old, limit)

    async def _purge(self, key: Any, old: ColumnElement[bool], limit: int) -> int:
        victims = (
            select(key).where(old).limit(limit).with_for_update(skip_locked=True)
        )
        ids = list(await self._session.scalars(victims))
        if not ids:
            return 0
        await self._session.execute(
            delete(key.class_).where(key.in_(ids)).execution_options(synchronize_session=False)
        )
        return len(ids)
