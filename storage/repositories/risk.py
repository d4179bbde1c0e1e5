"""The counts behind a case's risk signals (cases/risk.py): four small indexed queries.

Each reads through an index (revision 0013 adds the merchant's and the account's), so the card
costs the same with a million cases as with a thousand: the buyer's cases by buyer and filing
time, the account's first order by account and payment time, the merchant's cases by merchant
and filing time, its orders by merchant and payment time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from cases.model import Case, CaseStatus, Reason
from cases.risk import BuyerRecord, RiskFacts
from storage.models import CaseRow, OrderRow
from storage.types import UtcDateTime

# What the buyer's earlier cases came to: a refund approved is a decision for the buyer (even
# one not paid yet); a rejection, or a close without any refund, went against them.
_AGAINST = (CaseStatus.REJECTED.value, CaseStatus.CLOSED.value)


class SqlRiskQueries:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def facts(self, case: Case, since: datetime) -> RiskFacts:
        return RiskFacts(
            buyer=await self._buyer(case),
            first_order_at=await self._session.scalar(first_order_statement(case.order_no)),
            merchant_complaints=await self._merchant_cases(case, since),
            merchant_orders=int(
                await self._session.scalar(merchant_orders_statement(case.merchant_code, since))
                or 0
            ),
        )

    async def _buyer(self, case: Case) -> BuyerRecord:
        counts = {"earlier": 0, "rejected": 0, "withdrawn": 0, "decided_for_buyer": 0}
        for status, approved, count in await self._session.execute(buyer_statement(case)):
            counts["earlier"] += count
            if approved:
                counts["decided_for_buyer"] += count
            elif status in _AGAINST:
                counts["rejected"] += count
            elif status == CaseStatus.WITHDRAWN.value:
                counts["withdrawn"] += count
        return BuyerRecord(**counts)

    async def _merchant_cases(self, case: Case, since: datetime) -> dict[Reason, int]:
        rows = await self._session.execute(merchant_cases_statement(case, since))
        return {Reason(reason): int(count) for reason, count in rows}


def buyer_statement(case: Case) -> Select[str, bool, int]:
    """The buyer's other cases filed up to this one, by status and whether a refund was approved."""
    approved = CaseRow.approved_amount.is_not(None)
    return (
        select(CaseRow.status, approved, func.count())
        .where(
            CaseRow.buyer_id == case.buyer_id,
            CaseRow.created_at <= case.created_at,
            CaseRow.case_no != case.case_no,
        )
        .group_by(CaseRow.status, approved)
    )


def first_order_statement(order_no: str) -> Select[datetime]:
    """The first payment of the account that placed this order, as the orders data knows it."""
    account = select(OrderRow.buyer_account).where(OrderRow.order_no == order_no).scalar_subquery()
    # min() loses the column's type; the coercion brings back the aware datetime.
    first = type_coerce(func.min(OrderRow.paid_at), UtcDateTime)
    return select(first).where(OrderRow.buyer_account == account)


def merchant_cases_statement(case: Case, since: datetime) -> Select[str, int]:
    """The merchant's other cases filed from `since` on, counted by reason."""
    return (
        select(CaseRow.reason, func.count())
        .where(
            CaseRow.merchant_code == case.merchant_code,
            CaseRow.created_at >= since,
            CaseRow.case_no != case.case_no,
        )
        .group_by(CaseRow.reason)
    )


def merchant_orders_statement(merchant_code: str, since: datetime) -> Select[int]:
    """The merchant's orders paid from `since` on."""
    return select(func.count()).where(
        OrderRow.merchant_code == merchant_code, OrderRow.paid_at >= since
    )
