"""Orders imported from the platform."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cases.model import Order, OrderStatus
from storage.models import OrderRow
from storage.repositories._direct import DirectStatement
from storage.repositories._sql import dialect_insert

_DATA_COLUMNS = (
    "buyer_account",
    "merchant_code",
    "product",
    "category",
    "amount",
    "currency",
    "paid_at",
    "delivered_at",
    "status",
    "card_code",
    "code_redeemed_at",
)


class SqlOrderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, order_no: str) -> Order | None:
        rows = (await _GET.run(self._session, {"order_no": order_no})).rows
        return _to_order(rows[0]) if rows else None

    async def upsert(self, order: Order) -> bool:
        """Inserts or updates by order number; True when something changed."""
        values = {"order_no": order.order_no, **{c: _value(order, c) for c in _DATA_COLUMNS}}
        stmt = dialect_insert(self._session, OrderRow).values(**values)
        table = OrderRow.__table__.c
        # One statement, so concurrent imports cannot interleave; the WHERE makes an identical
        # row a no-op, and RETURNING yields a row only when something was written.
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.order_no],
            set_={**{c: stmt.excluded[c] for c in _DATA_COLUMNS}, "updated_at": func.now()},
            where=or_(*(table[c].is_distinct_from(stmt.excluded[c]) for c in _DATA_COLUMNS)),
        ).returning(table.order_no)
        return (await self._session.execute(stmt)).first() is not None


def _value(order: Order, column: str) -> Any:
    value = getattr(order, column)
    return value.value if isinstance(value, OrderStatus) else value


def _to_order(row: Any) -> Order:
    return Order(
        order_no=row.order_no,
        buyer_account=row.buyer_account,
        merchant_code=row.merchant_code,
        product=row.product,
        category=row.category,
        amount=row.amount,
        currency=row.currency,
        paid_at=row.paid_at,
        delivered_at=row.delivered_at,
        status=OrderStatus(row.status),
        card_code=row.card_code,
        code_redeemed_at=row.code_redeemed_at,
    )


# Read by every filing step that names the order: run directly (_direct.py).
_GET = DirectStatement.of(
    select(OrderRow.__table__).where(OrderRow.order_no == bindparam("order_no"))
)
