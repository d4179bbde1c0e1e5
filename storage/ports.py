"""Infrastructure repositories beyond what the domain asks for in `cases.ports`.

The bot's worker loops and update handling use these; the domain never does, which is why they
live here and not in `cases/`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from cases.health import LoopStatus
from cases.ports import JobRepository, LoopHealthRepository, OutboxRepository
from storage.jobs import Job


class JobQueue(JobRepository, Protocol):
    """The worker side of the job table: claim with a lease, then complete or retry."""

    async def claim_due(
        self,
        now: datetime,
        worker_id: str,
        lease: timedelta,
        limit: int,
        kinds: Sequence[str] | None = None,
    ) -> list[Job]:
        """Locks up to `limit` due jobs for `worker_id` until now + lease, oldest due first.

        A job is due when it is not done, its due_at has come and no live lease holds it. Two
        workers never get the same job while the lease lasts; a worker that dies loses its
        jobs to others when the lease runs out. Commit right after claiming.
        """
        ...

    async def complete(self, job_id: int, at: datetime) -> None:
        """Marks the job done; it is never claimed again."""
        ...

    async def retry(self, job_id: int, at: datetime, error: str, next_due: datetime) -> None:
        """Releases the job after a failed run: attempts + 1, error kept, due again at next_due."""
        ...


@dataclass(frozen=True)
class QueuedMessage:
    """An outbox row a sender claimed: where it goes and the serialized reply to render."""

    id: int
    chat_id: int
    payload: dict[str, Any]
    due_at: datetime
    attempts: int  # failed sends so far (each `retry` adds one); 0 on the first try


class OutboxQueue(OutboxRepository, Protocol):
    """The sender side of the outbox: claim with a lease, then mark sent, retry or fail."""

    async def claim_due(
        self,
        now: datetime,
        worker_id: str,
        lease: timedelta,
        limit: int,
        skip_chats: Collection[int] = (),
    ) -> list[QueuedMessage]:
        """Locks up to `limit` due messages for `worker_id` until now + lease, returned in
        queue order (the row id).

        Due: neither sent nor failed, due_at has come, no live lease holds it. A chat's messages
        go in the order they were queued: a message is claimed only with every earlier pending
        message of its chat, so one waiting for its retry, or leased to any worker, holds back
        the chat's later ones (and only those). One worker at a time so writes to a chat (its
        order and its 1 message/s stay with one limiter). `skip_chats`, the chats the caller is
        still writing to, are left out. Commit right after claiming.
        """
        ...

    async def earlier_pending(self, chat_id: int, message_id: int) -> bool:
        """Whether a message queued to the chat before `message_id` is neither sent nor failed
        (a reply must then wait for it instead of overtaking it)."""
        ...

    async def claim_earlier(
        self,
        chat_id: int,
        message_id: int,
        now: datetime,
        worker_id: str,
        lease: timedelta,
        limit: int,
    ) -> list[QueuedMessage] | None:
        """Leases to `worker_id`, in queue order, every pending message queued to the chat
        before `message_id`, so that they go out before it; [] when there is none. None (and
        nothing leased) when one of them may not go now (waiting for its retry, or leased), or
        when there are more than `limit`: the sender loop then delivers the chat in order."""
        ...

    async def add_claimed(
        self,
        chat_id: int,
        payload: Mapping[str, Any],
        now: datetime,
        key: str,
        worker_id: str,
        lease: timedelta,
    ) -> QueuedMessage | None:
        """Queues a message due now and already leased to `worker_id`, for that worker to send
        right after the commit (a reply to the update it is handling); if the worker dies first,
        the message is claimed by anyone once the lease runs out. None when `key` was queued
        before (nothing is added)."""
        ...

    async def mark_sent(self, message_id: int, at: datetime, telegram_message_id: int) -> None:
        """Records the delivery; a sent message is never claimed again."""
        ...

    async def hand_back(self, message_ids: Collection[int], worker_id: str) -> int:
        """Releases those of the messages that `worker_id` still holds unsent, for any sender
        to claim; returns how many."""
        ...

    async def retry(self, message_id: int, error: str, next_due: datetime) -> None:
        """Releases the message after a failed send: attempts + 1, error kept, due at next_due."""
        ...

    async def postpone_chat(
        self, chat_id: int, until: datetime, now: datetime, worker_id: str
    ) -> int:
        """Moves the chat's pending messages due before `until` to `until`, keeping their order,
        and releases those leased by `worker_id`; messages under another worker's live lease
        are left alone. Returns how many moved."""
        ...

    async def fail(self, message_id: int, at: datetime, error: str) -> None:
        """Gives the message up for good (failed_at, last_error); it is never claimed again."""
        ...

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        """Readdresses pending messages (a group that became a supergroup); returns how many."""
        ...

    async def block_chat(self, chat_id: int, at: datetime, reason: str) -> None:
        """Records that the chat refuses the bot (403); recording it again changes nothing."""
        ...

    async def unblock_chat(self, chat_id: int) -> bool:
        """Forgets the block (the user wrote to the bot again); True when there was one."""
        ...

    async def blocked_among(self, chat_ids: Collection[int]) -> set[int]:
        """Returns which of `chat_ids` are recorded as blocked."""
        ...


class LeaseRegistry(Protocol):
    """The leases one worker holds on inbox, outbox and job rows, all together."""

    async def renew(self, worker_id: str, now: datetime, until: datetime) -> int:
        """Extends to `until` the leases `worker_id` holds that are still live at `now` (never
        shortening one); returns how many rows it renewed."""
        ...

    async def release(self, worker_id: str) -> int:
        """Hands back every pending row `worker_id` holds; returns how many."""
        ...


@dataclass(frozen=True)
class WorkerRecord:
    """One live bot process as the `workers` table knows it (bot/heartbeat.py)."""

    worker_id: str
    life: str  # random per start: a restart under the same name is another life
    host: str
    machine: str  # host name, boot id and pid namespace; "" when unknown
    pid: int
    pid_started: int | None  # clock ticks since boot, to tell a reused pid
    started_at: datetime
    beat_at: datetime
    beats: int


class WorkerRegistry(Protocol):
    """The heartbeat rows of the live bot processes."""

    async def register(self, worker: WorkerRecord) -> None:
        """Writes the worker's row, replacing one an earlier life of the same name left."""
        ...

    async def beat(self, worker_id: str, life: str, at: datetime) -> bool:
        """Bumps the life's beat counter; False when its row is gone (it was taken over)."""
        ...

    async def list(self) -> Sequence[WorkerRecord]:
        """Every registered worker."""
        ...

    async def remove(self, worker_id: str, life: str, beats: int | None = None) -> bool:
        """Deletes the life's row, only while its counter still shows `beats` when given (a
        beat meanwhile proves it alive); True when this call deleted it."""
        ...


class ProcessedUpdateRepository(Protocol):
    async def mark_processed(self, update_id: int, at: datetime) -> bool:
        """Records the update id; False when it had been recorded before."""
        ...

    async def is_processed(self, update_id: int) -> bool:
        """Whether a handling of the update committed (its mark is there)."""
        ...


@dataclass(frozen=True)
class IncomingUpdate:
    """An update as received: its id, the chat it is ordered within, the raw JSON."""

    update_id: int
    chat_id: int | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class InboxUpdate:
    """A stored update a worker claimed; attempts counts claims, this one included."""

    update_id: int
    chat_id: int | None
    payload: dict[str, Any]
    attempts: int


class InboxQueue(Protocol):
    """Updates stored before they are acknowledged, then handled per chat in order."""

    async def add_many(self, updates: Sequence[IncomingUpdate], at: datetime) -> int:
        """Stores the updates, ignoring ones stored before; returns how many were new."""
        ...

    async def claim(
        self, now: datetime, worker_id: str, lease: timedelta, limit: int
    ) -> list[InboxUpdate]:
        """Leases, for up to `limit` chats, each chat's oldest pending update, until now + lease.

        A chat whose oldest pending update is leased (or waits for a retry) yields nothing, so
        one chat's updates run one at a time, in update id order. Commit right after claiming.
        """
        ...

    async def done(self, update_ids: Sequence[int], at: datetime) -> None:
        """Marks the updates handled."""
        ...

    async def retry(self, update_id: int, error: str, not_before: datetime) -> None:
        """Releases a failed update, claimable again from `not_before`."""
        ...

    async def fail(self, update_id: int, at: datetime, error: str) -> None:
        """Gives the update up for good, keeping the error."""
        ...

    async def set_aside(self, update_id: int, error: str, not_before: datetime) -> None:
        """Releases an update that ran out of time to be claimed again from `not_before`, out of
        its chat's order: the chat's later updates no longer wait for it."""
        ...

    async def release(self, worker_id: str) -> int:
        """Hands back the pending updates `worker_id` holds; returns how many."""
        ...

    async def backlog(self) -> int:
        """How many stored updates are not handled yet."""
        ...


class RetentionRepository(Protocol):
    """Deletes old bookkeeping rows in bounded batches (see storage/repositories/retention.py)."""

    async def purge_inbox(self, before: datetime, limit: int) -> int:
        """Deletes up to `limit` updates handled before `before`; returns how many."""
        ...

    async def purge_processed_updates(self, before: datetime, limit: int) -> int:
        """Deletes up to `limit` processed-update marks older than `before`; returns how many."""
        ...

    async def purge_outbox(self, before: datetime, limit: int) -> int:
        """Deletes up to `limit` messages sent or failed before `before`; returns how many."""
        ...


class LoopReports(LoopHealthRepository, Protocol):
    """The writing side: each process reports its own loops (bot/watchdog.py)."""

    async def report(self, worker_id: str, statuses: Sequence[LoopStatus]) -> None:
        """Replaces what `worker_id` reported before with `statuses`."""
        ...

    async def withdraw(self, worker_id: str) -> int:
        """Deletes the reports of `worker_id` (it stopped cleanly); returns how many."""
        ...

    async def forget(self, before: datetime) -> int:
        """Deletes the reports of processes silent since before `before`; returns how many."""
        ...
