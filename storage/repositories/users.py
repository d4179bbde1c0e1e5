"""What Telegram tells about each user, plus the locale they chose."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cases.ports import UserProfile
from storage.models import UserRow
from storage.repositories._direct import DirectStatement
from storage.repositories._sql import insert_for

# The profile `touch` just wrote, in the session's `info`: every update touches its sender and
# the dialog then reads them, a second statement for the row the first one returned. The upsert
# holds the row (PostgreSQL: its row lock; SQLite: the write lock) until the transaction ends,
# so only this session can change it meanwhile: whatever changes or deletes the row, and the end
# of the transaction, drop it (`forget_touched`).
_TOUCHED = "touched_user"


def forget_touched(session: AsyncSession) -> None:
    """Drops the profile `touch` kept: its row changed, or its transaction ended."""
    session.info.pop(_TOUCHED, None)


class SqlUserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, user_id: int) -> UserProfile | None:
        touched: UserProfile | None = self._session.info.get(_TOUCHED)
        if touched is not None and touched.user_id == user_id:
            return touched
        rows = (await _GET.run(self._session, {"user_id": user_id})).rows
        return _to_profile(rows[0]) if rows else None

    async def touch(
        self, user_id: int, language_code: str | None, username: str | None, at: datetime
    ) -> UserProfile:
        """Creates or refreshes what Telegram tells about the user; keeps the chosen locale."""
        params = {
            "user_id": user_id,
            "username": username,
            "language_code": language_code,
            "at": at,
        }
        (row,) = (await _TOUCH.run(self._session, params)).rows
        profile = self._session.info[_TOUCHED] = _to_profile(row)
        return profile

    async def set_locale(self, user_id: int, locale: str) -> None:
        """Stores the chosen locale; a user the bot has never seen is left alone."""
        forget_touched(self._session)
        await self._session.execute(
            update(UserRow)
            .where(UserRow.user_id == user_id)
            .values(locale=locale)
            .execution_options(synchronize_session=False)
        )


def _to_profile(row: Any) -> UserProfile:
    return UserProfile(
        user_id=row.user_id,
        locale=row.locale,
        language_code=row.language_code,
        username=row.username,
    )


_GET = DirectStatement.of(select(UserRow.__table__).where(UserRow.user_id == bindparam("user_id")))


def _build_touch(dialect: str) -> Any:
    stmt = insert_for(dialect, UserRow).values(
        user_id=bindparam("user_id"),
        username=bindparam("username"),
        language_code=bindparam("language_code"),
        locale=None,
        created_at=bindparam("at"),
        updated_at=bindparam("at"),
    )
    return stmt.on_conflict_do_update(
        index_elements=[UserRow.__table__.c.user_id],
        set_={
            "username": stmt.excluded.username,
            "language_code": stmt.excluded.language_code,
            "updated_at": stmt.excluded.updated_at,
        },
    ).returning(*UserRow.__table__.c)


_TOUCH = DirectStatement(_build_touch)
