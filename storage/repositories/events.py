"""The audit trail of each case: append-only, hash-chained by cases/audit.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cases.model import ActorKind, CaseEvent, CaseStatus
from cases.ports import HistoryConflictError
from storage.models import CaseEventRow, CaseRow


class SqlEventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def last(self, case_no: str) -> CaseEvent | None:
        stmt = (
            select(CaseEventRow.__table__)
            .where(CaseEventRow.case_no == case_no)
            .order_by(CaseEventRow.seq.desc())
            .limit(1)
        )
        row = (await self._session.execute(stmt)).first()
        return None if row is None else event_from_row(row)

    async def append(self, event: CaseEvent) -> None:
        """Inserts the event and moves the case row's head to it.

        Raises HistoryConflictError when the case's chain is no longer `event.seq - 1` long
        (another transaction appended first): the row is updated before the insert, so on
        PostgreSQL the second appender waits for the first and then finds the count moved on.
        """
        moved = await self._session.execute(
            update(CaseRow)
            .where(CaseRow.case_no == event.case_no, CaseRow.event_count == event.seq - 1)
            .values(event_count=event.seq, head_hash=event.hash)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            raise HistoryConflictError(event.case_no)
        await self._session.execute(
            insert(CaseEventRow).values(
                case_no=event.case_no,
                seq=event.seq,
                at=event.at,
                actor_kind=event.actor_kind.value,
                actor_id=event.actor_id,
                action=event.action,
                from_status=None if event.from_status is None else event.from_status.value,
                to_status=event.to_status.value,
                note=event.note,
                amount=event.amount,
                extra=dict(event.extra),
                prev_hash=event.prev_hash,
                hash=event.hash,
                state_digest=event.state_digest,
            )
        )

    async def list(self, case_no: str) -> Sequence[CaseEvent]:
        stmt = (
            select(CaseEventRow.__table__)
            .where(CaseEventRow.case_no == case_no)
            .order_by(CaseEventRow.seq)
        )
        return [event_from_row(row) for row in await self._session.execute(stmt)]


def event_from_row(row: Row[Any]) -> CaseEvent:
    return CaseEvent(
        case_no=row.case_no,
        seq=row.seq,
        at=row.at,
        actor_kind=ActorKind(row.actor_kind),
        actor_id=row.actor_id,
        action=row.action,
        from_status=None if row.from_status is None else CaseStatus(row.from_status),
        to_status=CaseStatus(row.to_status),
        note=row.note,
        amount=row.amount,
        prev_hash=row.prev_hash,
        hash=row.hash,
        extra={str(k): str(v) for k, v in (row.extra or {}).items()},
        state_digest=row.state_digest,
    )
