"""Appending to a case's history: every event chained and sealed to the rows it leaves.

Every change of a case row or its evidence rows goes through here in the transaction that makes
it, so the newest event always carries the digest of the rows as they are (cases/audit.py).
"""

from __future__ import annotations

from datetime import datetime

from cases.audit import seal_event, sealed
from cases.model import Case, CaseEvent
from cases.ports import HistoryConflictError, UnitOfWork

SEAL_ATTEMPTS = 3


class CaseMissingError(LookupError):
    """The case to seal is not in the store."""


async def record(uow: UnitOfWork, case: Case, event: CaseEvent) -> CaseEvent:
    """Appends `event` to the case's history; `case` is the row as this transaction leaves it.

    The evidence rows are read here, so files recorded earlier in the transaction are sealed.
    """
    prev = await uow.events.last(case.case_no)
    evidence = await uow.evidence.list(case.case_no)
    chained = sealed(prev, event, case, evidence)
    await uow.events.append(chained)
    return chained


async def seal(
    uow: UnitOfWork, case_no: str, at: datetime, action: str, extra: dict[str, str]
) -> CaseEvent:
    """Records a change of the rows that moves the case nowhere (e.g. a file downloaded).

    Unlike a transition, which was decided on the case as it was and must be decided again,
    a seal only describes the rows: when another event came first it is simply read again.
    """
    for _ in range(SEAL_ATTEMPTS - 1):
        try:
            return await _seal_once(uow, case_no, at, action, extra)
        except HistoryConflictError:
            continue
    return await _seal_once(uow, case_no, at, action, extra)


async def _seal_once(
    uow: UnitOfWork, case_no: str, at: datetime, action: str, extra: dict[str, str]
) -> CaseEvent:
    case = await uow.cases.get(case_no)
    if case is None:
        raise CaseMissingError(case_no)
    return await record(uow, case, seal_event(case, at, action, extra))
