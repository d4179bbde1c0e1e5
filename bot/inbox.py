"""The durable inbox: updates are stored before Telegram is told we have them, then handled.

Intake (bot/intake.py: long polling or the webhook) stores each batch in one transaction and only
then acknowledges it (the next getUpdates offset, or the webhook's 200). The InboxWorker claims
stored updates with a lease, each chat's oldest first, and feeds them to the turn runner
(bot/turns.py): one chat
strictly in order, different chats side by side. A process killed mid-update leaves the row
leased; once the lease runs out this or another process claims it again, and the turn's
`updates.mark_processed` keeps the update's effects to one. An update gets UPDATE_TIMEOUT seconds,
its Bot API calls included: past them it is cancelled, set aside to be tried once more outside
its chat's order (so the chat goes on), and given up with an apology if it runs out of time again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bot.apology import apology_locale, stored_apology_target
from bot.backoff import Backoff
from bot.events import ordering_chat, update_id_of
from bot.leases import LEASE
from bot.supervisor import LoopHealth
from bot.update_bounds import bound_update
from dialogs.types import Reply
from storage.ports import InboxUpdate, IncomingUpdate

if TYPE_CHECKING:
    from bot.deps import Deps
    from bot.turns import Rider
    from storage.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

CONCURRENCY = 4
# A handler that keeps failing is given up after this many claims, so its chat is not stuck.
MAX_ATTEMPTS = 5


# A failed update is tried again after 1 s, 2 s, 4 s … capped at a minute.
retry_delay = Backoff(timedelta(seconds=1), cap=timedelta(minutes=1))


class UpdateFeed(Protocol):
    """What handles one stored update: the turn runner (bot/turns.py)."""

    async def feed(self, update: Mapping[str, Any], rider: Rider | None = None) -> None: ...


class _NextInLane:
    """Rides in an update's own turn (bot/turns.py `Rider`): marks it done and claims its
    lane's next update in that transaction, so a lane runs one transaction per update besides
    the replies' sent marks, not two.

    A crash before the commit undoes the mark and the claim with the turn: the update is
    claimed again and its effects still happen once (the turn's processed mark). After the
    commit the update is handled, its replies queued in the same transaction; the next update
    is this process's until its lease ends or its process is found dead (bot/heartbeat.py), as
    for any claim, and is handed back at a clean stop (`InboxWorker.release`)."""

    def __init__(self, worker: InboxWorker, item: InboxUpdate) -> None:
        self._worker = worker
        self._item = item
        self._claimed: list[InboxUpdate] = []
        # The lane's next updates, once the turn's transaction has committed; None otherwise
        # (the turn ran no transaction, or it failed): the lane marks and claims on its own.
        self.next: list[InboxUpdate] | None = None

    async def ride(self, uow: SqlUnitOfWork) -> None:
        worker, now = self._worker, self._worker.deps.clock.now()
        await uow.inbox.done([self._item.update_id], now)
        self._claimed = [] if worker._stopping else await uow.inbox.claim(
            now, worker.worker_id, worker.lease, 1
        )

    def committed(self) -> None:
        self.next = self._claimed


def _first_timeout(item: InboxUpdate) -> bool:
    """Whether the update runs out of time for the first time: it is still in its chat's order
    (the first time out sets it aside), or it belongs to no chat and has not been retried."""
    if item.chat_id is not None:
        return True
    return incoming(item.payload).chat_id is None and item.attempts <= 1


def incoming(payload: Mapping[str, Any]) -> IncomingUpdate:
    """The update as the inbox stores it, keyed by the chat (or user) that orders it.

    Only an update without an integer update_id is refused (ValueError). One that is malformed
    otherwise is stored all the same, on its chat if it names one: its handling fails and keeps
    the error for an operator, where refusing it would only make Telegram deliver it again and
    again.
    """
    return IncomingUpdate(update_id_of(payload), ordering_chat(payload), dict(payload))


async def store_updates(deps: Deps, payloads: Iterable[Mapping[str, Any]]) -> int:
    """Commits the updates to the inbox in one transaction; returns how many were new.

    Each is bounded first (bot/update_bounds.py). One past the bounds is stored as its skeleton,
    marked handled and answered in the same transaction: refused once, never tried again."""
    bounded = [bound_update(payload) for payload in payloads]
    items = [incoming(item.payload) for item in bounded]
    if not items:
        return 0
    now = deps.clock.now()
    async with deps.uow() as uow:
        added = await uow.inbox.add_many(items, now)
        for item, bound in zip(items, bounded, strict=True):
            if bound.refused is not None:
                await _refuse(uow, item, bound.refused, now)
        await uow.commit()
    return added


async def _refuse(uow: SqlUnitOfWork, item: IncomingUpdate, reason: str, now: datetime) -> None:
    """Marks an update past the bounds handled and tells its sender, once however often it
    comes (the answer's key)."""
    log.warning("update %s refused unread: %s", item.update_id, reason)
    await uow.inbox.fail(item.update_id, now, f"refused unread: {reason}")
    await queue_apology(uow, item.payload, "bot.error.unreadable", "unreadable", now)


async def queue_apology(
    uow: SqlUnitOfWork, payload: Mapping[str, Any], text: str, kind: str, now: datetime
) -> None:
    """Queues, once (keyed `kind:update_id`), the text telling the sender of an update that
    it was not handled; nothing for an update from a group or from no one."""
    target = stored_apology_target(payload)
    if target is None:
        return
    user, chat_id = target
    apology = Reply(key=text).to_payload(await apology_locale(uow, user))
    await uow.outbox.add(chat_id, apology, now, f"{kind}:{payload.get('update_id')}")


class InboxWorker:
    """Feeds stored updates to the turn runner: CONCURRENCY chats at a time, each in order."""

    def __init__(
        self,
        deps: Deps,
        turns: UpdateFeed,
        worker_id: str,
        *,
        concurrency: int = CONCURRENCY,
        lease: timedelta = LEASE,
        update_timeout: float | None = None,
    ) -> None:
        self.deps = deps
        self.turns = turns
        self.worker_id = worker_id
        self.concurrency = concurrency
        self.lease = lease
        # Bounds the whole turn, the Bot API calls in it too (a library would wait 60 s for one).
        self.update_timeout = update_timeout or deps.settings.update_timeout
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        """Tells the idle lanes that new updates are stored (intake calls it after a commit)."""
        self._wake.set()

    async def run_once(self) -> int:
        """Claims one update per free chat (up to `concurrency`), handles them; returns how many."""
        now = self.deps.clock.now()
        async with self.deps.uow() as uow:
            claimed = await uow.inbox.claim(now, self.worker_id, self.lease, self.concurrency)
            await uow.commit()
        finished = await asyncio.gather(*(self.dispatch(item) for item in claimed))
        handled = zip(claimed, finished, strict=True)
        await self._mark_done([item.update_id for item, ok in handled if ok])
        return len(claimed)

    async def run_until_idle(self, max_rounds: int = 1000) -> int:
        """Handles stored updates until none is claimable; returns how many (tests, shutdown)."""
        total = 0
        for _ in range(max_rounds):
            handled = await self.run_once()
            if handled == 0:
                break
            total += handled
        return total

    async def run_forever(self, health: LoopHealth | None = None, idle: float = 1.0) -> None:
        """Works the inbox until `stop()`; the update in hand is always finished first. Each
        lane's claims are reported to `health` (bot/supervisor.py)."""
        health = health or LoopHealth("inbox")
        lanes = [asyncio.create_task(self._lane(health, idle)) for _ in range(self.concurrency)]
        try:
            await asyncio.gather(*lanes)
        finally:
            for lane in lanes:
                lane.cancel()
            await self.release()

    def stop(self) -> None:
        """Lets each lane finish the update it holds, then return."""
        self._stopping = True
        self._wake.set()

    async def release(self) -> None:
        """Hands back updates claimed but not started, so another process need not wait."""
        with contextlib.suppress(Exception):
            async with self.deps.uow() as uow:
                await uow.inbox.release(self.worker_id)
                await uow.commit()

    async def _lane(self, health: LoopHealth, idle: float) -> None:
        # An update is marked done, and the lane's next one claimed, in the update's own turn
        # (`_NextInLane`). One whose turn ran no transaction is marked done in the transaction
        # that claims the lane's next one: until then its chat waits (a moment), and a crash in
        # between only makes it claimed again, its effects still once (mark_processed).
        finished: list[int] = []
        ahead: list[InboxUpdate] = []
        while not self._stopping:
            wait = idle
            if ahead:
                claimed, ahead = ahead, []
            else:
                try:
                    now = self.deps.clock.now()
                    async with self.deps.uow() as uow:
                        await uow.inbox.done(finished, now)
                        claimed = await uow.inbox.claim(now, self.worker_id, self.lease, 1)
                        await uow.commit()
                    finished = []
                    health.ok()
                except Exception as exc:
                    # The database is away: back off (an update stored meanwhile still wakes
                    # us).
                    log.exception("claiming from the inbox failed")
                    wait = health.failed(exc)
                    claimed = []
            for item in claimed:
                lane = _NextInLane(self, item)
                try:
                    if await self.dispatch(item, lane) and lane.next is None:
                        finished.append(item.update_id)
                except Exception:
                    # Recording the outcome failed (the database is away): the lease runs out
                    # and the update is claimed again, its effects still once.
                    log.exception("update %s: recording its outcome failed", item.update_id)
                if lane.next is not None:
                    # Done and the next claimed with its turn (whatever came after the commit).
                    ahead = lane.next
                    health.ok()
            if not claimed and not self._stopping:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)
        with contextlib.suppress(Exception):  # else claimed again after the lease, as above
            await self._mark_done(finished)

    async def handle(self, item: InboxUpdate) -> None:
        """Feeds one update to the turn runner and records the outcome."""
        if await self.dispatch(item):
            await self._mark_done([item.update_id])

    async def dispatch(self, item: InboxUpdate, rider: Rider | None = None) -> bool:
        """Feeds one update to the turn runner; True when it ran to the end (the caller marks it
        done, unless `rider` did in the turn), False when its outcome (a retry later, or given
        up) is recorded already."""
        if not await self.deps.liveness.wait_fresh():
            # Taken over (bot/heartbeat.py): the update is another process's now; nothing is
            # recorded, its new holder does that.
            return False
        now = self.deps.clock.now()
        if item.attempts > MAX_ATTEMPTS:
            # Claimed this often without an outcome: the process dies on it. Stop trying.
            await self._record_failure(item, "claimed too often without finishing")
            return False
        deadline = asyncio.timeout(self.update_timeout)
        try:
            async with deadline:
                await self.turns.feed(item.payload, rider)
        except Exception as exc:
            if isinstance(exc, TimeoutError) and deadline.expired():
                await self._timed_out(item)
                return False
            log.exception("update %s failed (attempt %s)", item.update_id, item.attempts)
            if item.attempts >= MAX_ATTEMPTS:
                await self._record_failure(item, repr(exc))
            else:
                async with self.deps.uow() as uow:
                    await uow.inbox.retry(
                        item.update_id, repr(exc), now + retry_delay(item.attempts)
                    )
                    await uow.commit()
            return False
        return True

    async def _timed_out(self, item: InboxUpdate) -> None:
        """Records an update that ran out of time; the handler was cancelled already.

        Cancelling rolled its unit of work back and freed the chat's lock; its replies are
        outbox rows of that unit of work, so nothing of it went out half. The first time, the
        update is set aside to be tried again a moment later, out of its chat's order, so the
        chat's next message is answered meanwhile. The second time it is given up, and the user
        is asked (through the outbox, in the same transaction) to try again; if a handling of
        it had committed after all, it is only logged, as its answers are on their way.
        """
        now = self.deps.clock.now()
        error = f"timed out after {self.update_timeout:g} s (UPDATE_TIMEOUT)"
        async with self.deps.uow() as uow:
            if _first_timeout(item):
                log.warning(
                    "update %s %s on attempt %s; trying it again later",
                    item.update_id,
                    error,
                    item.attempts,
                )
                await uow.inbox.set_aside(item.update_id, error, now + retry_delay(1))
            else:
                log.error("update %s %s again; given up", item.update_id, error)
                await uow.inbox.fail(item.update_id, now, error)
                if not await uow.updates.is_processed(item.update_id):
                    await queue_apology(uow, item.payload, "bot.error.timeout", "timeout", now)
            await uow.commit()

    async def _mark_done(self, update_ids: list[int]) -> None:
        if update_ids:
            async with self.deps.uow() as uow:
                await uow.inbox.done(update_ids, self.deps.clock.now())
                await uow.commit()

    async def _record_failure(self, item: InboxUpdate, error: str) -> None:
        log.error("update %s given up after %s attempts: %s", item.update_id, item.attempts, error)
        async with self.deps.uow() as uow:
            await uow.inbox.fail(item.update_id, self.deps.clock.now(), error)
            await uow.commit()
