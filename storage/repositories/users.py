"""What Telegram tells about each user, plus the locale they chose."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cases.ports import UserProfile
from storage.models import UserRow
from storage.repositories._sql import insert_for, prepared


class SqlUserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, user_id: int) -> UserProfile | None:
        row = (await self._session.execute(_GET, {"user_id": user_id})).first()
        return None if row is None else _to_profile(row)

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
        return _to_profile((await self._session.execute(_touch(self._session), params)).one())

    async def set_locale(self, user_id: int, locale: str) -> None:
        """Stores the chosen locale; a user the bot has never seen is left alone."""
        await self._session.execute(
            update(UserRow)
            .where(UserRow.user_id == user_id)
            .values(locale=locale)
            .execution_options(synchronize_session=False)
        )


def _to_profile(row: Row[Any]) -> UserProfile:
    return UserProfile(
        user_id=row.user_id,
        locale=row.locale,
        language_code=row.language_code,
        username=row.username,
    )


_GET = select(UserRow.__table__).where(UserRow.user_id == bindparam("user_id"))


@prepared
def _touch(dialect: str) -> Any:
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
