"""The audit trail of each case: append-only, hash-chained by cases/audit.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cases.model import ActorKind, CaseEvent, CaseStatus
from cases.ports import HistoryConflictError
from storage.models import CaseEventRow, CaseRow
from storage.repositories._direct import DirectStatement
from storage.repositories._sql import table_of


class SqlEventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def last(self, case_no: str) -> CaseEvent | None:
        rows = (await _LAST.run(self._session, {"case_no": case_no})).rows
        return event_from_row(rows[0]) if rows else None

    async def append(self, event: CaseEvent) -> None:
        """Inserts the event and moves the case row's head to it.

        Raises HistoryConflictError when the case's chain is no longer `event.seq - 1` long
        (another transaction appended first): the row is updated before the insert, so on
        PostgreSQL the second appender waits for the first and then finds the count moved on.
        """
        head = {"case": event.case_no, "before": event.seq - 1, "new_seq": event.seq}
        moved = await _MOVE_HEAD.run(self._session, {**head, "new_hash": event.hash})
        if moved.rowcount != 1:
            raise HistoryConflictError(event.case_no)
        row = {
            "case_no": event.case_no,
            "seq": event.seq,
            "at": event.at,
            "actor_kind": event.actor_kind.value,
            "actor_id": event.actor_id,
            "action": event.action,
            "from_status": None if event.from_status is None else event.from_status.value,
            "to_status": event.to_status.value,
            "note": event.note,
            "amount": event.amount,
            "extra": dict(event.extra),
            "prev_hash": event.prev_hash,
            "hash": event.hash,
            "state_digest": event.state_digest,
        }
        await _APPEND.run(self._session, row)

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


# Every change of a case reads its chain's head and appends to it: run directly (_direct.py).
_LAST = DirectStatement.of(
    select(CaseEventRow.__table__)
    .where(CaseEventRow.case_no == bindparam("case_no"))
    .order_by(CaseEventRow.seq.desc())
    .limit(1)
)
_MOVE_HEAD = DirectStatement.of(
    update(table_of(CaseRow))
    .where(CaseRow.case_no == bindparam("case"), CaseRow.event_count == bindparam("before"))
    .values(event_count=bindparam("new_seq"), head_hash=bindparam("new_hash"))
)
_COLUMNS = (
    "case_no", "seq", "at", "actor_kind", "actor_id", "action", "from_status", "to_status",
    "note", "amount", "extra", "prev_hash", "hash", "state_digest",
)  # fmt: skip
_APPEND = DirectStatement.of(
    insert(table_of(CaseEventRow)).values({name: bindparam(name) for name in _COLUMNS})
)
