"""The durable inbox: updates stored before they are acknowledged, then worked off per chat."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    bindparam,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import InboxRow
from storage.ports import InboxUpdate, IncomingUpdate
from storage.repositories._direct import DirectStatement
from storage.repositories._sql import insert_for, table_of
from storage.types import UtcDateTime

MAX_ERROR_LENGTH = 2000


class SqlInboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_many(self, updates: Sequence[IncomingUpdate], at: datetime) -> int:
        """Stores the updates; ones already stored (a redelivery) are ignored. Returns new ones.

        One direct INSERT per update, all in the caller's transaction: a statement on the
        driver costs 20-80 µs, where one multi-row INSERT through the session cost 700 µs and
        more for the one or two updates a getUpdates brings when the bot keeps up (its SQL
        compiled anew for each number of rows).
        """
        added = 0
        for item in updates:
            params = {
                "update_id": item.update_id,
                "chat_id": item.chat_id,
                "payload": dict(item.payload),
                "at": at,
            }
            added += len((await _ADD.run(self._session, params)).rows)
        return added

    async def claim(
        self, now: datetime, worker_id: str, lease: timedelta, limit: int
    ) -> list[InboxUpdate]:
        """Leases the oldest pending update of up to `limit` chats no one else is working on."""
        # Two statements: inside an UPDATE, PostgreSQL may run a LIMIT subquery more than once.
        found = (await _CANDIDATES.run(self._session, {"now": now, "limit": limit})).rows
        chosen = [row.update_id for row in found]
        if not chosen:
            return []
        params = {"chosen": chosen, "now": now, "worker_id": worker_id, "until": now + lease}
        if len(chosen) == 1:  # an inbox lane's claim: the statement without a list
            rows = (await _CLAIM_ONE.run(self._session, {**params, "one": chosen[0]})).rows
        else:
            rows = (await self._session.execute(_CLAIM, params)).all()
        claimed = [
            InboxUpdate(
                update_id=row.update_id,
                chat_id=row.chat_id,
                payload=dict(row.payload),
                attempts=row.attempts,
            )
            for row in rows
        ]
        return sorted(claimed, key=lambda item: item.update_id)

    async def done(self, update_ids: Sequence[int], at: datetime) -> None:
        """Marks the updates handled; each chat's next update becomes claimable."""
        if len(update_ids) == 1:
            await _DONE_ONE.run(self._session, {"one": update_ids[0], "at": at})
        elif update_ids:
            await self._session.execute(_DONE, {"update_ids": list(update_ids), "at": at})

    async def retry(self, update_id: int, error: str, not_before: datetime) -> None:
        """Releases a failed update to be claimed again from `not_before`; its chat waits too."""
        await self._session.execute(
            update(InboxRow)
            .where(InboxRow.update_id == update_id)
            .values(locked_by=None, locked_until=not_before, last_error=error[:MAX_ERROR_LENGTH])
        )

    async def set_aside(self, update_id: int, error: str, not_before: datetime) -> None:
        """Releases an update that ran out of time, to be claimed again from `not_before`, on no
        chat: a handler that hangs must not hold up the chat's later updates while it waits.
        (Handlers still take the chat's lock, so the retry never runs beside another update of
        the chat.) An update on no chat is never again held back by, nor holds back, others."""
        await self._session.execute(
            update(InboxRow)
            .where(InboxRow.update_id == update_id)
            .values(
                chat_id=None,
                locked_by=None,
                locked_until=not_before,
                last_error=error[:MAX_ERROR_LENGTH],
            )
        )

    async def fail(self, update_id: int, at: datetime, error: str) -> None:
        """Gives the update up (done, with the error kept) so its chat is not stuck behind it."""
        await self._session.execute(
            update(InboxRow)
            .where(InboxRow.update_id == update_id)
            .values(
                done_at=at, locked_by=None, locked_until=None, last_error=error[:MAX_ERROR_LENGTH]
            )
        )

    async def release(self, worker_id: str) -> int:
        """Hands back the pending updates `worker_id` holds (a clean shutdown); returns how many."""
        result = await self._session.execute(
            update(InboxRow)
            .where(InboxRow.locked_by == worker_id, InboxRow.done_at.is_(None))
            .values(locked_by=None, locked_until=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def backlog(self) -> int:
        """How many stored updates are not handled yet."""
        stmt = select(func.count()).select_from(InboxRow).where(InboxRow.done_at.is_(None))
        return int((await self._session.execute(stmt)).scalar_one())


# The statements of the hot path (a claim and a done mark per handled update), built once:
# constructing them anew each time cost more than running them (inbound benchmark profile).
# Aliases throughout the claim: the UPDATE targets `inbox`, and an unaliased subquery on it would
# be correlated to the row being updated instead of scanning the table.
_head = aliased(InboxRow)
_older = aliased(InboxRow)
# Only a chat's oldest pending update may run: its order is the order of update ids. While that
# update is leased the chat has no claimable head, so one worker at a time.
_earlier_pending = (
    select(_older.update_id)
    .where(
        _older.chat_id == _head.chat_id,
        _older.done_at.is_(None),
        _older.update_id < _head.update_id,
    )
    .exists()
)
_NOW = bindparam("now", type_=UtcDateTime)
_LIMIT = bindparam("limit", type_=Integer)
# SQLite's planner reads the heads through the (done_at, chat_id, update_id) index: every
# pending update, each checked, then sorted to take the first. Walking the pending index in
# update order stops at the first free head (revision 0017 has the figures). SQLAlchemy renders
# no table hint for SQLite, hence the statement as text there; it must say what the select
# below says.
_CANDIDATES_SQLITE = (
    text(
        "SELECT head.update_id FROM inbox AS head INDEXED BY ix_inbox_pending"
        " WHERE head.done_at IS NULL"
        " AND (head.locked_until IS NULL OR head.locked_until <= :now)"
        " AND NOT EXISTS (SELECT 1 FROM inbox AS older WHERE older.chat_id = head.chat_id"
        " AND older.done_at IS NULL AND older.update_id < head.update_id)"
        " ORDER BY head.update_id LIMIT :limit"
    )
    .bindparams(_NOW, _LIMIT)
    .columns(update_id=BigInteger)
)
_CANDIDATES = DirectStatement(
    lambda dialect: _CANDIDATES_SQLITE
    if dialect == "sqlite"
    else select(_head.update_id)
    .where(
        _head.done_at.is_(None),
        or_(_head.locked_until.is_(None), _head.locked_until <= _NOW),
        ~_earlier_pending,
    )
    .order_by(_head.update_id)
    .limit(_LIMIT)
    # PostgreSQL: concurrent claimers skip rows another transaction is claiming.
    .with_for_update(skip_locked=True, of=_head)
)


def _claim(chosen: ColumnElement[bool]) -> Any:
    return (
        update(InboxRow)
        # Free again: under READ COMMITTED a row claimed meanwhile is re-checked, not taken.
        .where(
            chosen,
            InboxRow.done_at.is_(None),
            or_(InboxRow.locked_until.is_(None), InboxRow.locked_until <= bindparam("now")),
        )
        .values(
            locked_by=bindparam("worker_id"),
            locked_until=bindparam("until"),
            attempts=InboxRow.attempts + 1,
        )
        .returning(InboxRow.update_id, InboxRow.chat_id, InboxRow.payload, InboxRow.attempts)
        .execution_options(synchronize_session=False)
    )


def _done(chosen: ColumnElement[bool]) -> Any:
    return (
        update(InboxRow)
        .where(chosen)
        .values(done_at=bindparam("at"), locked_by=None, locked_until=None)
        .execution_options(synchronize_session=False)
    )


def _build_add(dialect: str) -> Any:
    table = table_of(InboxRow)
    return (
        insert_for(dialect, InboxRow)
        .values(
            update_id=bindparam("update_id"),
            chat_id=bindparam("chat_id"),
            payload=bindparam("payload"),
            received_at=bindparam("at"),
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=[table.c.update_id])
        .returning(table.c.update_id)
    )


_ADD = DirectStatement(_build_add)
_CLAIM = _claim(InboxRow.update_id.in_(bindparam("chosen", expanding=True)))
_CLAIM_ONE = DirectStatement.of(_claim(InboxRow.update_id == bindparam("one")))
_DONE = _done(InboxRow.update_id.in_(bindparam("update_ids", expanding=True)))
_DONE_ONE = DirectStatement.of(_done(InboxRow.update_id == bindparam("one")))
