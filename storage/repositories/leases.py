"""Every lease one worker holds, across the inbox, the outbox and the job table, at once.

A worker renews its live leases on a short heartbeat while it runs (bot/leases.py), so the
leases themselves can be short: a process that dies stops renewing, and its rows pass to the
others within one lease. A restarted process that keeps its name hands back at start what its
previous life held, since that life is over.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboxRow, JobRow, OutboxRow
from storage.ports import LeaseRegistry


def _pending() -> list[tuple[Any, ColumnElement[bool]]]:
    """Each leased table with what makes one of its rows still work to do."""
    return [
        (InboxRow, InboxRow.done_at.is_(None)),
        (OutboxRow, and_(OutboxRow.sent_at.is_(None), OutboxRow.failed_at.is_(None))),
        (JobRow, JobRow.done_at.is_(None)),
    ]


class SqlLeaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def renew(self, worker_id: str, now: datetime, until: datetime) -> int:
        """Extends to `until` the live leases `worker_id` holds on pending rows; returns how many.

        A lease that has run out is left alone (another worker may have claimed the row since),
        and a lease already longer than `until` is never shortened.
        """
        renewed = 0
        for model, pending in _pending():
            result = await self._session.execute(
                update(model)
                .where(
                    model.locked_by == worker_id,
                    model.locked_until > now,
                    model.locked_until < until,
                    pending,
                )
                .values(locked_until=until)
                .execution_options(synchronize_session=False)
            )
            renewed += int(getattr(result, "rowcount", 0) or 0)
        return renewed

    async def release(self, worker_id: str) -> int:
        """Hands back every pending row `worker_id` holds; returns how many."""
        released = 0
        for model, pending in _pending():
            result = await self._session.execute(
                update(model)
                .where(model.locked_by == worker_id, pending)
                .values(locked_by=None, locked_until=None)
                .execution_options(synchronize_session=False)
            )
            released += int(getattr(result, "rowcount", 0) or 0)
        return released


def _conforms(repository: SqlLeaseRepository) -> LeaseRegistry:
    # Never called: makes mypy prove that the repository satisfies the protocol.
    return repository
