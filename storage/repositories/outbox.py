"""The transactional outbox: messages queued in the same transaction as the change causing them."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    bindparam,
    cast,
    delete,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import BlockedChatRow, OutboxRow
from storage.ports import OutboxQueue, QueuedMessage
from storage.repositories._sql import dialect_insert, insert_for, prepared

# last_error is for operators reading the table, not a log: keep it bounded.
MAX_ERROR_LENGTH = 2000
# PostgreSQL advisory locks taken while claiming: (this number, chat id folded into int4).
_CLAIM_LOCK_SPACE = "7311"
_INT4_MAX = 2**31 - 1


class SqlOutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        chat_id: int,
        payload: Mapping[str, Any],
        due_at: datetime,
        key: str | None = None,
    ) -> None:
        """Queues one message; a message with the same non-None key is not queued twice."""
        # One atomic statement: two transactions queuing the same key at once cannot both
        # insert, and neither fails (NULL keys never conflict, so unkeyed messages all go in).
        stmt = (
            dialect_insert(self._session, OutboxRow)
            .values(chat_id=chat_id, payload=dict(payload), due_at=due_at, key=key, attempts=0)
            .on_conflict_do_nothing(index_elements=[OutboxRow.__table__.c.key])
        )
        await self._session.execute(stmt)

    # -- the sender side (bot/outbox.py); see storage.ports.OutboxQueue ----------------------

    async def add_claimed(
        self,
        chat_id: int,
        payload: Mapping[str, Any],
        now: datetime,
        key: str,
        worker_id: str,
        lease: timedelta,
    ) -> QueuedMessage | None:
        """Queues a message already leased to `worker_id`; None when `key` was queued before."""
        params = {
            "chat_id": chat_id,
            "payload": dict(payload),
            "now": now,
            "key": key,
            "worker_id": worker_id,
            "until": now + lease,
        }
        row_id = (await self._session.execute(_add_claimed(self._session), params)).scalar()
        if row_id is None:
            return None
        return QueuedMessage(
            id=row_id, chat_id=chat_id, payload=dict(payload), due_at=now, attempts=0
        )

    async def claim_due(
        self,
        now: datetime,
        worker_id: str,
        lease: timedelta,
        limit: int,
        skip_chats: Collection[int] = (),
    ) -> list[QueuedMessage]:
        """Locks up to `limit` due messages for `worker_id` until now + lease, oldest due first."""
        other = aliased(OutboxRow)
        chat_busy = (
            select(other.id)
            .where(
                other.chat_id == OutboxRow.chat_id,
                other.sent_at.is_(None),
                other.failed_at.is_(None),
                other.locked_until > now,
                other.locked_by != worker_id,
            )
            .exists()
        )
        candidates = (
            select(OutboxRow.id, OutboxRow.chat_id)
            .where(
                OutboxRow.sent_at.is_(None),
                OutboxRow.failed_at.is_(None),
                OutboxRow.due_at <= now,
                or_(OutboxRow.locked_until.is_(None), OutboxRow.locked_until <= now),
                # One worker per chat, so its messages keep their order and one rate limiter.
                ~chat_busy,
                *([OutboxRow.chat_id.not_in(list(skip_chats))] if skip_chats else []),
            )
            .order_by(OutboxRow.due_at, OutboxRow.id)
            .limit(limit)
            # PostgreSQL: concurrent claimers skip rows another transaction is claiming instead
            # of waiting for it. SQLite renders no FOR UPDATE and needs none (one writer).
            .with_for_update(skip_locked=True, of=OutboxRow)
            .subquery()
        )
        chosen = select(candidates.c.id)
        if self._session.get_bind().dialect.name == "postgresql":
            # Two claims running at once see neither's uncommitted leases, so each could take
            # rows of one chat. A per-chat lock, held until commit and tried only on the rows
            # already picked, makes the second drop the chats the first is taking. (A claim
            # that starts just before another commits can still take a chat's later rows; the
            # lease still keeps any one row from going to two workers.)
            chat_key = cast(candidates.c.chat_id % _INT4_MAX, Integer)
            chosen = chosen.where(
                func.pg_try_advisory_xact_lock(literal_column(_CLAIM_LOCK_SPACE), chat_key)
            )
        table = OutboxRow.__table__.c
        stmt = (
            update(OutboxRow)
            .where(OutboxRow.id.in_(chosen.scalar_subquery()))
            .values(locked_by=worker_id, locked_until=now + lease)
            .returning(table.id, table.chat_id, table.payload, table.due_at, table.attempts)
            .execution_options(synchronize_session=False)
        )
        rows = (await self._session.execute(stmt)).all()
        claimed = [
            QueuedMessage(
                id=r.id,
                chat_id=r.chat_id,
                payload=dict(r.payload),
                due_at=r.due_at,
                attempts=r.attempts,
            )
            for r in rows
        ]
        # RETURNING promises no order.
        return sorted(claimed, key=lambda message: (message.due_at, message.id))

    async def mark_sent(self, message_id: int, at: datetime, telegram_message_id: int) -> None:
        params = {"row_id": message_id, "at": at, "message_id": telegram_message_id}
        await self._session.execute(_MARK_SENT, params)

    async def retry(self, message_id: int, error: str, next_due: datetime) -> None:
        await self._set(
            message_id,
            OutboxRow.sent_at.is_(None),
            attempts=OutboxRow.attempts + 1,
            last_error=error[:MAX_ERROR_LENGTH],
            due_at=next_due,
            locked_by=None,
            locked_until=None,
        )

    async def fail(self, message_id: int, at: datetime, error: str) -> None:
        await self._set(
            message_id,
            OutboxRow.sent_at.is_(None),
            failed_at=at,
            last_error=error[:MAX_ERROR_LENGTH],
            locked_by=None,
            locked_until=None,
        )

    async def postpone_chat(
        self, chat_id: int, until: datetime, now: datetime, worker_id: str
    ) -> int:
        """Moves the chat's pending messages due before `until` to `until` and releases ours."""
        pending = (
            OutboxRow.chat_id == chat_id,
            OutboxRow.sent_at.is_(None),
            OutboxRow.failed_at.is_(None),
        )
        not_held_by_others = or_(
            OutboxRow.locked_until.is_(None),
            OutboxRow.locked_until <= now,
            OutboxRow.locked_by == worker_id,
        )
        # All of them get the same due_at, so (due_at, id) keeps their order.
        moved = await self._session.execute(
            update(OutboxRow)
            .where(*pending, not_held_by_others, OutboxRow.due_at < until)
            .values(due_at=until)
            .execution_options(synchronize_session=False)
        )
        await self._session.execute(
            update(OutboxRow)
            .where(*pending, OutboxRow.locked_by == worker_id)
            .values(locked_by=None, locked_until=None)
            .execution_options(synchronize_session=False)
        )
        return int(moved.rowcount)  # type: ignore[attr-defined]

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        result = await self._session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.chat_id == old_chat_id,
                OutboxRow.sent_at.is_(None),
                OutboxRow.failed_at.is_(None),
            )
            .values(chat_id=new_chat_id)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def block_chat(self, chat_id: int, at: datetime, reason: str) -> None:
        stmt = (
            dialect_insert(self._session, BlockedChatRow)
            .values(chat_id=chat_id, blocked_at=at, reason=reason[:MAX_ERROR_LENGTH])
            .on_conflict_do_nothing(index_elements=[BlockedChatRow.__table__.c.chat_id])
        )
        await self._session.execute(stmt)

    async def unblock_chat(self, chat_id: int) -> bool:
        result = await self._session.execute(_UNBLOCK, {"chat_id": chat_id})
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def blocked_among(self, chat_ids: Collection[int]) -> set[int]:
        if not chat_ids:
            return set()
        result = await self._session.execute(
            select(BlockedChatRow.chat_id).where(BlockedChatRow.chat_id.in_(list(chat_ids)))
        )
        return set(result.scalars())

    async def hand_back(self, message_ids: Collection[int], worker_id: str) -> int:
        if not message_ids:
            return 0
        result = await self._session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.id.in_(list(message_ids)),
                OutboxRow.locked_by == worker_id,
                OutboxRow.sent_at.is_(None),
                OutboxRow.failed_at.is_(None),
            )
            .values(locked_by=None, locked_until=None)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def _set(self, row_id: int, /, *conditions: Any, **values: Any) -> None:
        await self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == row_id, *conditions)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


# Statements every update's replies run, built once (see storage.repositories._sql.prepared).
@prepared
def _add_claimed(dialect: str) -> Any:
    table = OutboxRow.__table__.c
    return (
        insert_for(dialect, OutboxRow)
        .values(
            chat_id=bindparam("chat_id"),
            payload=bindparam("payload"),
            due_at=bindparam("now"),
            key=bindparam("key"),
            attempts=0,
            locked_by=bindparam("worker_id"),
            locked_until=bindparam("until"),
        )
        .on_conflict_do_nothing(index_elements=[table.key])
        .returning(table.id)
    )


_MARK_SENT = (
    update(OutboxRow)
    .where(OutboxRow.id == bindparam("row_id"), OutboxRow.sent_at.is_(None))
    .values(
        sent_at=bindparam("at"),
        message_id=bindparam("message_id"),
        locked_by=None,
        locked_until=None,
    )
    .execution_options(synchronize_session=False)
)
_UNBLOCK = delete(BlockedChatRow).where(BlockedChatRow.chat_id == bindparam("chat_id"))


def _conforms(repository: SqlOutboxRepository) -> OutboxQueue:
    # Never called: makes mypy prove the repository is everything the sender needs.
    return repository
