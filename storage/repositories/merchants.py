"""Merchants and the one-time tokens that bind a merchant to a Telegram account."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cases.model import Merchant, MerchantLegal
from cases.ports import MerchantAccount
from storage.models import CaseRow, MerchantRow
from storage.repositories._sql import constraint_name, dialect_insert

_COLUMNS = (MerchantRow.code, MerchantRow.name, MerchantRow.telegram_user_id)


class SqlMerchantRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, code: str) -> Merchant | None:
        stmt = select(*_COLUMNS).where(MerchantRow.code == code)
        row = (await self._session.execute(stmt)).first()
        return None if row is None else _to_merchant(row)

    async def by_user(self, user_id: int) -> Merchant | None:
        stmt = select(*_COLUMNS).where(MerchantRow.telegram_user_id == user_id)
        row = (await self._session.execute(stmt)).first()
        return None if row is None else _to_merchant(row)

    async def upsert(self, code: str, name: str, at: datetime) -> Merchant:
        """Adds the merchant or renames it; its binding and created_at are kept."""
        stmt = dialect_insert(self._session, MerchantRow).values(
            code=code, name=name, created_at=at
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[MerchantRow.__table__.c.code], set_={"name": stmt.excluded.name}
        ).returning(*_COLUMNS)
        return _to_merchant((await self._session.execute(stmt)).one())

    async def set_bind_token(self, code: str, token_hash: str, at: datetime) -> None:
        """Stores the hash of a one-time binding token (a new token replaces the old).

        Raises LookupError for an unknown merchant. The current binding stays until the new
        token is used, so re-issuing a token is how an operator moves a merchant to another
        Telegram account.
        """
        result = await self._session.execute(
            update(MerchantRow)
            .where(MerchantRow.code == code)
            .values(bind_token_hash=token_hash, bind_token_issued_at=at)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            raise LookupError(code)

    async def bind(self, token_hash: str, user_id: int, at: datetime) -> Merchant | None:
        """Binds the merchant whose token hash matches to the user and spends the token.

        None when no merchant holds the token (unknown, or already spent) and when the user
        is bound to another merchant already; then nothing changes and the token stays usable
        by the right account. `by_user(user_id)` tells the two apart.
        """
        # Matching and spending in one UPDATE: of two concurrent binds with the same token,
        # the second finds bind_token_hash already NULL (PostgreSQL re-checks the WHERE after
        # waiting for the first's row lock), so a token binds exactly once.
        stmt = (
            update(MerchantRow)
            .where(MerchantRow.bind_token_hash == token_hash)
            .values(telegram_user_id=user_id, bind_token_hash=None, bound_at=at)
            .returning(*_COLUMNS)
            .execution_options(synchronize_session=False)
        )
        try:
            # A SAVEPOINT, so a refused binding leaves the caller's transaction usable.
            async with self._session.begin_nested():
                row = (await self._session.execute(stmt)).first()
        except IntegrityError as exc:
            # telegram_user_id is UNIQUE: this account already answers for another merchant.
            if "telegram_user_id" not in constraint_name(exc):
                raise
            return None
        return None if row is None else _to_merchant(row)

    async def list(self) -> Sequence[MerchantAccount]:
        # open_order_no is set exactly while a case is open (storage/models.py CaseRow).
        open_cases = (
            select(func.count())
            .where(CaseRow.merchant_code == MerchantRow.code, CaseRow.open_order_no.is_not(None))
            .scalar_subquery()
        )
        stmt = select(
            *_COLUMNS, MerchantRow.bind_token_hash.is_not(None).label("pending"), open_cases
        ).order_by(MerchantRow.code)
        return [
            MerchantAccount(_to_merchant(row), bool(row[3]), int(row[4]))
            for row in await self._session.execute(stmt)
        ]

    async def unbind(self, code: str) -> Merchant | None:
        before = await self.get(code)
        if before is None:
            return None
        await self._session.execute(
            update(MerchantRow)
            .where(MerchantRow.code == code)
            .values(telegram_user_id=None, bound_at=None, bind_token_hash=None)
            .execution_options(synchronize_session=False)
        )
        return before

    async def legal(self, code: str) -> MerchantLegal | None:
        stmt = select(
            MerchantRow.legal_name, MerchantRow.legal_address, MerchantRow.credit_code
        ).where(MerchantRow.code == code)
        row = (await self._session.execute(stmt)).first()
        if row is None or row.legal_name is None:
            return None
        return MerchantLegal(row.legal_name, row.legal_address or "", row.credit_code or "")

    async def set_legal(self, code: str, legal: MerchantLegal) -> None:
        result = await self._session.execute(
            update(MerchantRow)
            .where(MerchantRow.code == code)
            .values(
                legal_name=legal.legal_name,
                legal_address=legal.address,
                credit_code=legal.credit_code,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            raise LookupError(code)


def _to_merchant(row: Row[str, str, int | None]) -> Merchant:
    return Merchant(code=row.code, name=row.name, telegram_user_id=row.telegram_user_id)
