"""The read side of the stats (cases/stats.py): each case filed in a period, folded with its events.

One GROUP BY over the period's cases joined to their events does the folding in SQL (the first
staff step, the final step, when each stage was entered with its deadline and when it was
left), so a period of tens of thousands of cases comes back as one row each, not one per event.
The backlog is counted in SQL outright. Revision 0010 indexes cases by filing time for both.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from cases.model import FINAL_STATUSES, ActorKind, CaseStatus
from cases.stats import STAGE_STATUSES, CaseFacts, Stage, backlog_edges, span_of
from storage.models import CaseEventRow, CaseRow
from storage.types import UtcDateTime

S = CaseStatus
STAFF_KINDS = (ActorKind.AGENT.value, ActorKind.ARBITRATOR.value, ActorKind.ADMIN.value)
# Staff steps that are not a look at the case's merits.
NOT_A_REVIEW = ("note", "assign")
# The stages whose deadline the event entering them records (the review's is on the case).
RECORDED = (Stage.MERCHANT, Stage.ARBITRATION, Stage.REFUND)
WITHDRAWN = S.WITHDRAWN.value


def _values(statuses: frozenset[CaseStatus]) -> list[str]:
    return sorted(status.value for status in statuses)


def _first_at(condition: ColumnElement[bool]) -> Any:
    return type_coerce(func.min(case((condition, CaseEventRow.at))), UtcDateTime)


def _left(stage: Stage) -> Any:
    """When the case first went from the stage's statuses to another, a withdrawal aside."""
    inside = _values(STAGE_STATUSES[stage])
    if stage is Stage.REVIEW:
        # Asking for evidence pauses the review; it does not end it.
        inside = [*inside, S.AWAITING_EVIDENCE.value]
    e = CaseEventRow
    return _first_at(
        and_(e.from_status.in_(inside), e.to_status.not_in(inside), e.to_status != WITHDRAWN)
    ).label(f"{stage.value}_left")


def _due(stage: Stage) -> Any:
    """The deadline the event entering the stage recorded (ISO text, with its offset)."""
    e = CaseEventRow
    (status,) = _values(STAGE_STATUSES[stage])
    entering = and_(e.to_status == status, e.from_status != status)
    return func.max(case((entering, e.extra["deadline_at"].as_string()))).label(
        f"{stage.value}_due"
    )


def _facts_select() -> Any:
    c, e = CaseRow, CaseEventRow
    return (
        select(
            c.reason,
            c.merchant_code,
            c.status,
            c.refund_amount,
            c.approved_amount,
            c.created_at,
            c.review_due_at,
            _first_at(
                and_(e.actor_kind.in_(STAFF_KINDS), e.action.not_in(NOT_A_REVIEW))
            ).label("first_review_at"),
            type_coerce(
                func.max(case((e.to_status.in_(_values(FINAL_STATUSES)), e.at))), UtcDateTime
            ).label("closed_at"),
            _left(Stage.REVIEW),
            *(column for stage in RECORDED for column in (_due(stage), _left(stage))),
        )
        .select_from(c)
        .join(e, e.case_no == c.case_no)
        # The case number is the key: the other case columns depend on it (PostgreSQL allows
        # them beside the aggregates for that reason).
        .group_by(c.case_no)
    )


def facts_statement(start: datetime, end: datetime, merchant_code: str | None = None) -> Any:
    """The cases filed in [start, end) (of one merchant, if given), each with its events folded.

    The events are asked for by the period's case numbers too: without that, SQLite's planner
    walks every event of every case in case-number order (to group without a sort) and looks
    each case up, which over 1,000,000 cases is nearly all of the time (6.3 s against 2.3 s for
    a 30-day period of 42,420 cases). With it, it starts from the filing-time index and reads
    only the period's events.
    """
    period = select(CaseRow.case_no).where(CaseRow.created_at >= start, CaseRow.created_at < end)
    if merchant_code is not None:
        period = period.where(CaseRow.merchant_code == merchant_code)
    return _facts_select().where(CaseRow.case_no.in_(period), CaseEventRow.case_no.in_(period))


_STATUS = {status.value: status for status in CaseStatus}
# Each recorded stage with the positions of its deadline and its leaving in a row of
# `_facts_select` (after the nine case columns and the review's leaving).
_RECORDED_AT = [(stage, 10 + 2 * n, 11 + 2 * n) for n, stage in enumerate(RECORDED)]


def _facts(row: Sequence[Any]) -> CaseFacts:
    # Read by position, with the status looked up in a dict: tens of thousands of rows come
    # through here for one report, and attribute access by name and Enum(...) calls were most
    # of its time.
    status = _STATUS[row[2]]
    spans = [(Stage.REVIEW, span_of(Stage.REVIEW, status, row[6], row[9]))]
    for stage, due_at, left_at in _RECORDED_AT:
        due = row[due_at]
        at = None if due is None else datetime.fromisoformat(due)
        spans.append((stage, span_of(stage, status, at, row[left_at])))
    return CaseFacts(
        reason=row[0],
        merchant_code=row[1],
        status=status,
        refund_amount=row[3],
        approved_amount=row[4],
        created_at=row[5],
        first_review_at=row[7],
        closed_at=row[8] if status in FINAL_STATUSES else None,
        stages={stage: span for stage, span in spans if span is not None},
    )


class SqlStatsQueries:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def case_facts(
        self, start: datetime, end: datetime, merchant_code: str | None = None
    ) -> Sequence[CaseFacts]:
        """Every case filed in [start, end) (of one merchant, if given), with its events folded."""
        stmt = facts_statement(start, end, merchant_code)
        return [_facts(row) for row in await self._session.execute(stmt)]

    async def backlog(self, now: datetime, merchant_code: str | None = None) -> list[int]:
        """Open cases per age bucket (cases/stats.py BACKLOG_DAYS), youngest first."""
        edges = backlog_edges(now)
        counts = [
            func.coalesce(func.sum(case((CaseRow.created_at > edge, 1), else_=0)), 0)
            for edge in edges
        ]
        # open_order_no is set exactly while a case is open (see CaseRow).
        stmt = select(*counts, func.count()).where(CaseRow.open_order_no.is_not(None))
        if merchant_code is not None:
            stmt = stmt.where(CaseRow.merchant_code == merchant_code)
        cumulative = [int(value) for value in (await self._session.execute(stmt)).one()]
        return [cumulative[0]] + [b - a for a, b in pairwise(cumulative)]
