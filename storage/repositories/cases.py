"""Cases, with "one open case per order" enforced by the database (see CaseRow.open_order_no)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Select, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cases.model import Case, CaseStatus, DeadlineKind, Reason, RefundMethod, is_open
from cases.ports import DuplicateCaseNumberError, OpenCaseExistsError
from storage.models import CaseRow, EvidenceRow
from storage.repositories._direct import DirectStatement, refusable
from storage.repositories._sql import constraint_name, table_of

_EVIDENCE_COUNT = (
    select(func.count(EvidenceRow.id))
    .where(EvidenceRow.case_no == CaseRow.case_no)
    .correlate(CaseRow)
    .scalar_subquery()
    .label("evidence_count")
)


class SqlCaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, case: Case) -> None:
        """Inserts the case; raises DuplicateCaseNumberError or OpenCaseExistsError."""
        # Two tries: if the open case that blocked us was closed before we could look it up,
        # the order is free again and the second insert can succeed.
        for _ in range(2):
            try:
                async with refusable(self._session):
                    await _INSERT.run(self._session, _values(case))
            except IntegrityError as exc:
                violated = constraint_name(exc)
                if "open_order_no" in violated:
                    existing = await self.open_for_order(case.order_no)
                    if existing is None:
                        continue
                    raise OpenCaseExistsError(existing.case_no) from None
                if "pk_cases" in violated or "cases.case_no" in violated:
                    raise DuplicateCaseNumberError(case.case_no) from None
                raise
            else:
                return
        raise OpenCaseExistsError("")  # the order keeps flipping open; report it as taken

    async def update(self, case: Case) -> None:
        """Saves every mutable field of the case."""
        values = {f"new_{name}": value for name, value in _values(case).items()}
        try:
            async with refusable(self._session):
                result = await _UPDATE.run(self._session, {**values, "case": case.case_no})
        except IntegrityError as exc:
            if "open_order_no" not in constraint_name(exc):
                raise
            existing = await self.open_for_order(case.order_no)
            raise OpenCaseExistsError(existing.case_no if existing else "") from None
        if result.rowcount == 0:
            raise LookupError(case.case_no)

    async def get(self, case_no: str) -> Case | None:
        rows = (await _GET.run(self._session, {"case_no": case_no})).rows
        return to_case(rows[0]) if rows else None

    async def open_for_order(self, order_no: str) -> Case | None:
        rows = (await _OPEN_FOR_ORDER.run(self._session, {"order_no": order_no})).rows
        return to_case(rows[0]) if rows else None

    async def list_for_buyer(self, buyer_id: int, limit: int) -> Sequence[Case]:
        stmt = (
            case_select()
            .where(CaseRow.buyer_id == buyer_id)
            .order_by(CaseRow.created_at.desc(), CaseRow.case_no.desc())
            .limit(limit)
        )
        return [to_case(row) for row in await self._session.execute(stmt)]


def case_select() -> Select[Any]:
    """Selects case rows with their evidence count, ready for `to_case`."""
    # Plain rows, not ORM entities: nothing lands in the identity map to go stale, and
    # callers only ever see `Case` objects.
    return select(CaseRow.__table__, _EVIDENCE_COUNT)


def _values(case: Case) -> dict[str, Any]:
    return {
        "case_no": case.case_no,
        "order_no": case.order_no,
        "buyer_id": case.buyer_id,
        "status": case.status.value,
        "reason": case.reason.value,
        "description": case.description,
        "refund_amount": case.refund_amount,
        "refund_method": case.refund_method.value,
        "currency": case.currency,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "review_due_at": case.review_due_at,
        "next_deadline_at": case.next_deadline_at,
        "open_order_no": case.order_no if is_open(case.status) else None,
        "merchant_code": case.merchant_code,
        "order_amount": case.order_amount,
        "assignee_id": case.assignee_id,
        "deadline_kind": None if case.deadline_kind is None else case.deadline_kind.value,
        "offer_amount": case.offer_amount,
        "offer_declined": case.offer_declined,
        "approved_amount": case.approved_amount,
        "paused_review_seconds": case.paused_review_seconds,
        "personal_data_removed_at": case.personal_data_removed_at,
        "audit_salt": case.audit_salt,
    }


def to_case(row: Row[Any]) -> Case:
    """Maps a row of `case_select()` to the domain object."""
    return Case(
        case_no=row.case_no,
        order_no=row.order_no,
        buyer_id=row.buyer_id,
        status=CaseStatus(row.status),
        reason=Reason(row.reason),
        description=row.description,
        refund_amount=row.refund_amount,
        refund_method=RefundMethod(row.refund_method),
        currency=row.currency,
        created_at=row.created_at,
        updated_at=row.updated_at,
        review_due_at=row.review_due_at,
        evidence_count=row.evidence_count,
        next_deadline_at=row.next_deadline_at,
        merchant_code=row.merchant_code,
        order_amount=row.order_amount,
        assignee_id=row.assignee_id,
        deadline_kind=None if row.deadline_kind is None else DeadlineKind(row.deadline_kind),
        offer_amount=row.offer_amount,
        offer_declined=bool(row.offer_declined),
        approved_amount=row.approved_amount,
        paused_review_seconds=row.paused_review_seconds,
        personal_data_removed_at=row.personal_data_removed_at,
        audit_salt=row.audit_salt,
    )


# Read by the filing and status steps (a case by its number, the open one of an order): run
# directly (_direct.py).
_GET = DirectStatement.of(case_select().where(CaseRow.case_no == bindparam("case_no")))
_OPEN_FOR_ORDER = DirectStatement.of(
    case_select().where(CaseRow.open_order_no == bindparam("order_no"))
)
_COLUMNS = (
    "case_no", "order_no", "buyer_id", "status", "reason", "description", "refund_amount",
    "refund_method", "currency", "created_at", "updated_at", "review_due_at", "next_deadline_at",
    "open_order_no", "merchant_code", "order_amount", "assignee_id", "deadline_kind",
    "offer_amount", "offer_declined", "approved_amount", "paused_review_seconds",
    "personal_data_removed_at", "audit_salt",
)  # fmt: skip
# A case is inserted once and saved at each of its changes: run directly.
_INSERT = DirectStatement.of(
    insert(table_of(CaseRow)).values({name: bindparam(name) for name in _COLUMNS})
)
_UPDATE = DirectStatement.of(
    update(table_of(CaseRow))
    .where(CaseRow.case_no == bindparam("case"))
    .values(
        {
            name: bindparam(f"new_{name}")
            for name in _COLUMNS
            if name not in ("case_no", "created_at")
        }
    )
)
