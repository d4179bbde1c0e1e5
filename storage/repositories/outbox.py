"""The transactional outbox: messages queued in the same transaction as the change causing them."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import BlockedChatRow, OutboxRow
from storage.ports import OutboxQueue, QueuedMessage
from storage.repositories._direct import DirectStatement
from storage.repositories._sql import dialect_insert, insert_for, prepared

# last_error is for operators reading the table, not a log: keep it bounded.
MAX_ERROR_LENGTH = 2000


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
        rows = (await _ADD_CLAIMED.run(self._session, params)).rows
        if not rows:
            return None
        row_id = rows[0].id
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
        """Locks up to `limit` due messages for `worker_id` until now + lease; see the protocol.

        Queue order is the row id. A chat's row is handed out only with every earlier pending
        row of the chat: one in its retry backoff, or leased to any worker (this one included),
        holds back all the chat's later rows, and no others. What a claim takes of a chat is so
        always the start of its queue, and the chats share the claim in turns (each chat's
        first row, then each chat's second, ...).
        """
        params: dict[str, Any] = {
            "now": now,
            "limit": limit,
            "skip": list(skip_chats),
            "worker_id": worker_id,
            "until": now + lease,
        }
        if self._session.get_bind().dialect.name == "postgresql":
            # Two claims running at once each see the table as it was when their statement
            # began, so one could take a chat's later rows while the other takes its first.
            # Each claim therefore first row-locks the first pending row of every chat it will
            # take (SKIP LOCKED: a chat another claim is locking is left to it; a row that
            # claim has committed since is re-read and found leased). The rows are then taken
            # by a second statement, which sees every claim committed before it, and only in
            # the chats whose first row this one holds. SQLite has one writer at a time and
            # needs neither step.
            params["heads"] = list((await self._session.execute(_HEADS, params)).scalars())
            if not params["heads"]:
                return []
        stmt = _claim(self._session)
        # Each chat's rows go out in queue order.
        return _in_queue_order((await self._session.execute(stmt, params)).all())

    async def earlier_pending(self, chat_id: int, message_id: int) -> bool:
        params = {"chat_id": chat_id, "message_id": message_id}
        return (await self._session.execute(_EARLIER_PENDING, params)).scalar() is not None

    async def claim_earlier(
        self,
        chat_id: int,
        message_id: int,
        now: datetime,
        worker_id: str,
        lease: timedelta,
        limit: int,
    ) -> list[QueuedMessage] | None:
        params = {"chat_id": chat_id, "message_id": message_id, "limit": limit + 1}
        found = (await _EARLIER_IN_QUEUE.run(self._session, params)).rows
        if len(found) > limit or any(
            r.due_at > now or (r.locked_until is not None and r.locked_until > now) for r in found
        ):
            return None
        if not found:
            return []
        table = OutboxRow.__table__.c
        ids = [r.id for r in found]
        stmt = (
            update(OutboxRow)
            .where(OutboxRow.id.in_(ids), _pending(OutboxRow), _ready(OutboxRow, now))
            .values(locked_by=worker_id, locked_until=now + lease)
            .returning(table.id, table.chat_id, table.payload, table.due_at, table.attempts)
            .execution_options(synchronize_session=False)
        )
        rows = (await self._session.execute(stmt)).all()
        if len(rows) != len(ids):
            # Not all could be leased (the lookup's row lock on PostgreSQL and the write lock
            # on SQLite rule out a change meanwhile; this does not rely on it): the replies
            # wait, and what was leased here is released, as the caller commits (its
            # transaction queued the replies).
            await self.hand_back([r.id for r in rows], worker_id)
            return None
        return _in_queue_order(rows)

    async def mark_sent(self, message_id: int, at: datetime, telegram_message_id: int) -> None:
        params = {"row_id": message_id, "at": at, "message_id": telegram_message_id}
        await _MARK_SENT.run(self._session, params)

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
        return bool((await _UNBLOCK.run(self._session, {"chat_id": chat_id})).rowcount)

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


def _in_queue_order(rows: Sequence[Any]) -> list[QueuedMessage]:
    """The rows an UPDATE ... RETURNING leased (in no promised order), by id."""
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
    return sorted(claimed, key=lambda message: message.id)


def _pending(row: Any) -> ColumnElement[bool]:
    return and_(row.sent_at.is_(None), row.failed_at.is_(None))


def _ready(row: Any, now: Any) -> ColumnElement[bool]:
    """Due, and under no live lease."""
    return and_(row.due_at <= now, or_(row.locked_until.is_(None), row.locked_until <= now))


def _build_heads() -> Select[int]:
    """The ids of up to :limit chats' first pending rows that are ready, locked (PostgreSQL)."""
    now: Any = bindparam("now")
    earlier = aliased(OutboxRow)
    has_earlier = (
        select(earlier.id)
        .where(earlier.chat_id == OutboxRow.chat_id, earlier.id < OutboxRow.id, _pending(earlier))
        .exists()
    )
    return (
        select(OutboxRow.id)
        .where(
            _pending(OutboxRow),
            _ready(OutboxRow, now),
            ~has_earlier,
            OutboxRow.chat_id.not_in(bindparam("skip", expanding=True)),
        )
        .order_by(OutboxRow.due_at, OutboxRow.id)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True, of=OutboxRow)
    )


def _claimable(with_heads: bool) -> Select[int]:
    """The ids of up to :limit rows that may be handed out at :now, each chat's in queue order.

    A row may go when it is ready and every earlier pending row of its chat is ready too (and,
    `with_heads`, when its chat's first pending row is one of :heads).
    """
    now: Any = bindparam("now")
    row = OutboxRow
    earlier = aliased(OutboxRow)
    holds_back: ColumnElement[bool] = ~_ready(earlier, now)
    conditions: list[ColumnElement[bool]] = [
        _pending(row),
        _ready(row, now),
        row.chat_id.not_in(bindparam("skip", expanding=True)),
    ]
    if with_heads:
        head = aliased(OutboxRow)
        conditions += [
            head.id.in_(bindparam("heads", expanding=True)),
            head.chat_id == row.chat_id,
            row.id >= head.id,
        ]
        # A row queued before the head that committed since was not there when the head was
        # chosen: the chat waits for the next claim.
        holds_back = or_(holds_back, earlier.id < head.id)
    blocked = (
        select(earlier.id)
        .where(
            earlier.chat_id == row.chat_id,
            earlier.id < row.id,
            _pending(earlier),
            holds_back,
        )
        .exists()
    )
    place = func.row_number().over(partition_by=row.chat_id, order_by=row.id).label("place")
    candidates = select(row.id, row.due_at, place).where(*conditions, ~blocked).subquery()
    return (
        select(candidates.c.id)
        .order_by(candidates.c.place, candidates.c.due_at, candidates.c.id)
        .limit(bindparam("limit"))
    )


@prepared
def _claim(dialect: str) -> Any:
    table = OutboxRow.__table__.c
    return (
        update(OutboxRow)
        .where(OutboxRow.id.in_(_claimable(with_heads=dialect == "postgresql")))
        .values(locked_by=bindparam("worker_id"), locked_until=bindparam("until"))
        .returning(table.id, table.chat_id, table.payload, table.due_at, table.attempts)
        .execution_options(synchronize_session=False)
    )


# Statements every update's replies run, built once and run directly (_direct.py).
def _build_add_claimed(dialect: str) -> Any:
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


_ADD_CLAIMED = DirectStatement(_build_add_claimed)
_MARK_SENT = DirectStatement.of(
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
_HEADS = _build_heads()
# Every reply looks for messages queued to its chat before it (nearly always none).
_EARLIER_IN_QUEUE = DirectStatement.of(
    select(OutboxRow.id, OutboxRow.due_at, OutboxRow.locked_until)
    .where(
        OutboxRow.chat_id == bindparam("chat_id"),
        OutboxRow.id < bindparam("message_id"),
        _pending(OutboxRow),
    )
    .order_by(OutboxRow.id)
    .limit(bindparam("limit"))
    # PostgreSQL: a claim taking these rows right now is waited for, and its lease then seen
    # (SQLite has one writer; the UPDATE that takes them checks again anyway).
    .with_for_update(of=OutboxRow)
)
_EARLIER = aliased(OutboxRow)
_EARLIER_PENDING = (
    select(_EARLIER.id)
    .where(
        _EARLIER.chat_id == bindparam("chat_id"),
        _EARLIER.id < bindparam("message_id"),
        _pending(_EARLIER),
    )
    .limit(1)
)
_UNBLOCK = DirectStatement.of(
    delete(BlockedChatRow).where(BlockedChatRow.chat_id == bindparam("chat_id"))
)


def _conforms(repository: SqlOutboxRepository) -> OutboxQueue:
    # Never called: makes mypy prove the repository is everything the sender needs.
    return repository
