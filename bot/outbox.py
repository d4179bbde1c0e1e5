"""Delivers the outbox: every message the bot sends to a chat — each notification a state change
wrote and each reply to an update — is first a row of the `outbox` table, written in the same
transaction as the change that caused it.

Replies are written already leased to the process handling the update (`queue_replies`), which
sends them the moment its transaction commits (`OutboxSender.deliver_now`): the person who wrote
is answered without waiting for a sender loop — unless an earlier message to the chat is still
unsent: a reply never overtakes one. Messages to a chat go out in the order they were queued (the
row id): the claim hands out a chat's row only with every earlier pending row of the chat, so a
failed send waiting for its retry holds back its chat's later messages, and only those; a reply
takes the few notices queued before it along (they go first), and waits for the loop behind a
retry, another sender's lease or a longer backlog. Everything else is claimed by the loop: it claims
due rows with a lease (several bot processes can run side by side), sends them outside any
transaction, chat by chat in order and within Telegram's limits (bot/ratelimit.py), and records
each result in its own short transaction. It claims more while earlier rows are still on their
way — never for a chat it is still writing to — so a chat waiting for its next second never
leaves the bot's 30 a second unused. A process killed at any moment loses nothing: rows it had
leased are claimed again by anyone once the lease runs out.

What Telegram answers decides what happens to a row:
- OK: sent_at and the Telegram message_id are recorded.
- 429: the chat's rows wait `retry_after` seconds; other chats go on.
- 403 (blocked, kicked, deactivated): the chat is recorded in blocked_chats and its rows fail;
  later rows for it fail without calling Telegram.
- 400 / 404 / 413 (chat not found, bad markup, too long): the row fails with the error.
- 5xx, network errors, timeouts, anything else: retried after 0.5 s, 1 s, 2 s … capped at 15
  minutes (`backoff`), the first retries so within about a second; after MAX_ATTEMPTS the row
  fails and is logged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeAlias

from jinja2 import TemplateError

from bot.backoff import Backoff
from bot.leases import LEASE, LeaseKeeper
from bot.ratelimit import PACE, LocalSendLimiter, SendLimiter
from bot.render import RenderedMessage, render_reply
from bot.supervisor import LoopHealth
from bot.transport.port import (
    Blocked,
    BotPort,
    Failed,
    FileKind,
    FileSource,
    Migrated,
    Outcome,
    Refused,
    RetryAfter,
    Upload,
    describe,
)
from dialogs.stats import CHART_KIND
from dialogs.types import FileReply, Reply

if TYPE_CHECKING:
    from bot.deps import Deps
    from storage.ports import OutboxQueue, QueuedMessage

log = logging.getLogger(__name__)

BATCH = 50
# The loop keeps this many claimed rows in hand, claiming again once a quarter of them is done:
# a few seconds of sending at 29/s, so the limiter never waits for a claim or for the last chat
# of a claim, and every row still goes out long before LEASE_MARGIN.
IN_FLIGHT = 2 * BATCH
SEND_TIMEOUT = 15
UPLOAD_TIMEOUT = 180  # seconds for uploading a file of up to 50 MB (an export)
# No send starts this close to the end of its lease (bot/leases.py: LEASE, renewed while the
# process lives): the send (SEND_TIMEOUT at most) and the commit that marks it sent must finish
# while no other worker can have claimed the row.
LEASE_MARGIN = timedelta(seconds=SEND_TIMEOUT + 5)
# A chat's delivery stops starting sends this many seconds after its claim and hands the rest
# back, so rows that fell due meanwhile (other chats) are not stuck behind a long queue for one.
RUN_BUDGET = 20.0
# A chat that must wait longer than this (a group's 20/min) goes back to the table until then
# instead of holding the run.
MAX_INLINE_WAIT = 2.0
# A wait no longer than the pace between two sends is the bot's, not the chat's: the chat in turn
# sleeps it out holding the turn, as every other chat would be told the same (bot/ratelimit.py).
SHARED_WAIT = PACE.per + 0.001
MAX_ATTEMPTS = 14
# A reply takes along at most this many messages queued to its chat before it and not sent yet
# (they go first); a longer backlog is the sender loop's, at the chat's pace, the reply after it.
CATCH_UP = 5
BLOCKED_ERROR = "chat blocked the bot"
_FILE_KINDS: dict[str, FileKind] = {"photo": "photo", "video": "video"}


class FileMissingError(Exception):
    """The file a queued upload names is not under DATA_DIR."""


# 0.5 s, 1 s, 2 s … capped at 15 min: a passing 5xx costs the chat about a second (its later
# messages wait behind the failed one), and fourteen attempts span about 47 minutes of outage.
backoff = Backoff(timedelta(seconds=0.5), cap=timedelta(minutes=15))


def payload_for(locale: str, reply: Reply) -> dict[str, Any]:
    """The outbox payload of a reply (dialogs/ calls `reply.to_payload(locale)` directly)."""
    return reply.to_payload(locale)


def reply_from_payload(payload: Mapping[str, Any]) -> tuple[str, Reply]:
    """Reads an outbox payload back: (locale, reply); ValueError if it is malformed."""
    locale = payload.get("locale")
    if not isinstance(locale, str):
        raise ValueError("outbox payload has no locale")
    return locale, Reply.from_payload(payload)


def reply_key(update_id: int, index: int) -> str:
    """The outbox key of the `index`th reply to an update: one row however often it is handled."""
    return f"reply:{update_id}:{index}"


async def queue_replies(
    outbox: OutboxQueue,
    deps: Deps,
    chat_id: int,
    locale: str,
    update_id: int,
    replies: Sequence[Reply],
) -> list[QueuedMessage]:
    """Writes an update's replies to the outbox, leased to this process, in the caller's
    transaction; after the commit, `OutboxSender.deliver_now` sends them.

    A reply committed with the dialog step that caused it is never lost: if the process dies
    before sending, the lease runs out and any sender delivers it.
    """
    now = deps.clock.now()
    queued = []
    for index, reply in enumerate(replies):
        row = await outbox.add_claimed(
            chat_id,
            reply.to_payload(locale),
            now,
            reply_key(update_id, index),
            deps.worker_id,
            LEASE,
        )
        if row is not None:
            queued.append(row)
    return queued


# A chat's messages queued before the replies and leased to go out ahead of them, or None when
# the replies must wait for the sender loop behind them (`claim_ahead`).
Ahead: TypeAlias = "list[QueuedMessage] | None"


async def claim_ahead(outbox: OutboxQueue, deps: Deps, rows: Sequence[QueuedMessage]) -> Ahead:
    """In the transaction that queued `rows` (replies to one chat, `queue_replies`): the chat's
    messages queued before them, leased to this process to be sent first (up to CATCH_UP
    notices the sender loop has not sent yet), or None when the replies must wait.

    Claimed with the replies, this costs the update no transaction of its own; `send_queued`
    takes the answer along.
    """
    if not rows:
        return []
    return await outbox.claim_earlier(
        rows[0].chat_id, rows[0].id, deps.clock.now(), deps.worker_id, LEASE, CATCH_UP
    )


async def send_queued(
    deps: Deps, bot: BotPort, rows: Sequence[QueuedMessage], ahead: Ahead
) -> None:
    """Sends, right after their commit, the rows `queue_replies` (or a handler) leased to this
    process to one chat, with what `claim_ahead` found in that transaction: the one way every
    handler delivers its answers."""
    if not rows:
        return
    sender = OutboxSender(deps, bot, deps.worker_id, limiter=deps.limiter)
    try:
        await sender.deliver_now(rows, ahead)
    except asyncio.CancelledError:
        # The update ran out of time (UPDATE_TIMEOUT) mid-send. This process renews every lease
        # it holds, so unsent rows left leased to it would wait for its restart: the sender loop
        # takes them instead, and the notices leased to go ahead of them. Shielded, as the task
        # is being cancelled.
        held = [*(ahead or []), *rows]
        await asyncio.shield(_hand_back(deps, [row.id for row in held]))
        raise


async def _hand_back(deps: Deps, message_ids: list[int]) -> None:
    async with deps.uow() as uow:
        released = await uow.outbox.hand_back(message_ids, deps.worker_id)
        await uow.commit()
    if released:
        log.info("%s replies of a stopped update left to the sender loop", released)
        deps.outbox_bell.ring(deps.clock.now())


class OutboxSender:
    def __init__(
        self,
        deps: Deps,
        bot: BotPort,
        worker_id: str,
        *,
        limiter: SendLimiter | None = None,
        leases: LeaseKeeper | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.deps = deps
        self.bot = bot
        self.worker_id = worker_id
        self.limiter = limiter or LocalSendLimiter(clock=monotonic)
        self.leases = leases
        self._monotonic = monotonic
        self._sleep = sleep
        self._turn = asyncio.Lock()

    async def run_forever(
        self, health: LoopHealth | None = None, idle: float = 1.0, in_flight: int = IN_FLIGHT
    ) -> None:
        """Delivers due messages until cancelled, keeping up to `in_flight` claimed rows on their
        way: it claims again as chats finish rather than after a whole claim is done, and looks
        for rows that fell due every `idle` seconds once the table has run dry. Each claim is
        reported to `health` (bot/supervisor.py)."""
        health = health or LoopHealth("outbox")
        deliveries: dict[int, tuple[asyncio.Task[None], int]] = {}  # chat: (task, its rows)
        finished = asyncio.Event()
        more = True  # the last claim was full: more rows are due already
        looked = -idle
        bell = self.deps.outbox_bell
        try:
            while True:
                finished.clear()
                for chat_id in [chat for chat, (task, _) in deliveries.items() if task.done()]:
                    deliveries.pop(chat_id)
                room = in_flight - sum(rows for _, rows in deliveries.values())
                rung = bell.take(self.deps.clock.now())
                if room >= max(1, in_flight // 4) and (
                    more or rung or self._monotonic() >= looked + idle
                ):
                    looked = self._monotonic()
                    try:
                        claimed, started = await self._claim(room, skip_chats=set(deliveries))
                    except Exception as exc:
                        # The database hiccuped: the deliveries in hand go on, and the next look
                        # waits out the backoff (the rows come back after their lease anyway).
                        log.exception("outbox claim failed")
                        looked += health.failed(exc) - idle
                        claimed, started = 0, {}
                    else:
                        health.ok()
                    for chat_id, (task, rows) in started.items():
                        task.add_done_callback(lambda _: finished.set())
                        deliveries[chat_id] = (task, rows)
                    more = claimed == room
                    continue
                wait = None if more else looked + idle - self._monotonic()
                if wait is not None and bell.due is not None:
                    wait = min(wait, (bell.due - self.deps.clock.now()).total_seconds())
                await self._wait(finished, wait, bell.rung)
        finally:
            # Stopped: the deliveries stop with the loop, their rows come back after the lease.
            for task, _ in deliveries.values():
                task.cancel()
            await asyncio.gather(*(task for task, _ in deliveries.values()), return_exceptions=True)

    async def run_once(self, limit: int = BATCH) -> int:
        """Claims up to `limit` due messages and delivers them; returns how many it claimed."""
        claimed, started = await self._claim(limit)
        await asyncio.gather(*(task for task, _ in started.values()))
        return claimed

    async def _claim(
        self, limit: int, skip_chats: set[int] | None = None
    ) -> tuple[int, dict[int, tuple[asyncio.Task[None], int]]]:
        """Claims up to `limit` due messages, not of `skip_chats`, and starts one delivery per
        chat: (how many rows it claimed, each chat's delivery task and its number of rows)."""
        now = self.deps.clock.now()
        async with self.deps.uow() as uow:
            rows = await uow.outbox.claim_due(
                now, self.worker_id, LEASE, limit, skip_chats=skip_chats or ()
            )
            blocked = await uow.outbox.blocked_among({row.chat_id for row in rows})
            for row in rows:
                if row.chat_id in blocked:
                    await uow.outbox.fail(row.id, now, BLOCKED_ERROR)
            await uow.commit()
        by_chat: dict[int, list[QueuedMessage]] = {}
        for row in rows:  # claimed in queue order, so each chat's list is in order
            if row.chat_id not in blocked:
                by_chat.setdefault(row.chat_id, []).append(row)
        deadline = self._monotonic() + RUN_BUDGET
        # One task per chat: a chat waiting for its 1 message/s never holds up the others.
        started = {
            chat_id: (
                asyncio.create_task(self._deliver_claimed(chat_id, chat_rows, deadline, now)),
                len(chat_rows),
            )
            for chat_id, chat_rows in by_chat.items()
        }
        return len(rows), started

    async def _deliver_claimed(
        self, chat_id: int, rows: Sequence[QueuedMessage], deadline: float, claimed: datetime
    ) -> None:
        try:
            await self._deliver_chat(chat_id, rows, deadline, claimed + LEASE)
        except Exception:
            log.exception("delivering to chat %s failed", chat_id)

    async def _wait(
        self, finished: asyncio.Event, seconds: float | None, rung: asyncio.Event
    ) -> None:
        """Until a delivery finishes, the bell rings, or `seconds` (None: no limit) have
        passed."""
        waits: list[asyncio.Future[Any]] = [
            asyncio.ensure_future(finished.wait()),
            asyncio.ensure_future(rung.wait()),
        ]
        if seconds is not None:
            waits.append(asyncio.ensure_future(self._sleep(max(seconds, 0.0))))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
            await asyncio.gather(*waits, return_exceptions=True)

    async def deliver_now(self, rows: Sequence[QueuedMessage], ahead: Ahead) -> None:
        """Sends rows to one chat this process queued leased to itself (`queue_replies`), at
        once and in order, after `ahead`, what `claim_ahead` leased in the same transaction.

        They are answers to a person who is waiting, so they skip the per-chat pacing that
        spreads pushed notifications out (Telegram tolerates a short burst of replies in a chat
        the user is writing in). They never overtake an earlier message to the chat: up to
        CATCH_UP notices queued before them go first; behind a retry, another sender's lease or
        a longer backlog (`ahead` None) they are handed to the sender loop (its bell rung).
        Failures follow the same rules as every row: a 429 or a network error hands the chat's
        rows back to the sender loop, a 403 blocks the chat.
        """
        chat_id = rows[0].chat_id
        if ahead is None:
            # An earlier message to the chat is still on its way (in its retry backoff, or with
            # another sender), or the chat has a backlog: the replies queue up behind it, and
            # the sender loop delivers the chat in order.
            await self._postpone(chat_id, 0.0)
            return
        await self._deliver_chat(
            chat_id,
            [*ahead, *rows],
            self._monotonic() + RUN_BUDGET,
            self.deps.clock.now() + LEASE,
            paced=False,
        )

    async def _deliver_chat(
        self,
        chat_id: int,
        rows: Sequence[QueuedMessage],
        deadline: float,
        lease_end: datetime,
        *,
        paced: bool = True,
    ) -> None:
        for index, row in enumerate(rows):
            # Renewals move the lease on while this process lives; a stalled heartbeat stops
            # the sends here before another worker can have taken the rows over.
            lease_end = self._extend(lease_end)
            if paced and not await self._take_turn(chat_id, deadline, lease_end):
                return
            if not paced and self.deps.clock.now() >= lease_end - LEASE_MARGIN:
                await self._postpone(chat_id, 0.0)
                return
            try:
                locale, reply = reply_from_payload(row.payload)
                message = render_reply(self.deps.translator, locale, reply)
            except (ValueError, KeyError, TypeError, TemplateError) as exc:
                # A payload no template can render is a bug; retrying would not fix it.
                log.exception("outbox message %s cannot be rendered", row.id)
                await self._fail(row, f"cannot render: {exc!r}")
                continue
            if not await self._still_ours(chat_id, lease_end):
                return
            if not await self._send(chat_id, row, reply, message, rows[index + 1 :]):
                return

    async def _still_ours(self, chat_id: int, lease_end: datetime) -> bool:
        """Whether the rows in hand may be sent now: this process's heartbeat is recent
        (bot/heartbeat.py), so no other process can have taken them over before the send is
        under way. While it is not, nothing is sent; taken over, the rows are left to their
        new holder untouched. A wait long enough to end the lease hands the chat back."""
        liveness = self.deps.liveness
        if liveness.fresh():
            return True
        log.warning("heartbeat not recent: sends to chat %s wait for it", chat_id)
        if not await liveness.wait_fresh():
            return False
        if self.deps.clock.now() >= self._extend(lease_end) - LEASE_MARGIN:
            await self._postpone(chat_id, 0.0)
            return False
        return True

    def _extend(self, lease_end: datetime) -> datetime:
        """How long rows leased until `lease_end` surely stay this process's, renewals counted."""
        return lease_end if self.leases is None else self.leases.extend(lease_end)

    async def _take_turn(self, chat_id: int, deadline: float, lease_end: datetime) -> bool:
        """Waits for the limiter to let one message to `chat_id` go; False hands the chat back.

        The chats ready to send ask the limiter one at a time, in line: the bot's pace keeps
        one waiting, not every chat of the claim waking up to be told no (with the limiter in
        Redis, a round trip each).
        """
        while True:
            async with self._turn:
                wait = await self._reserve(chat_id, deadline, lease_end)
            if wait is None:
                await self._postpone(chat_id, 0.0)
                return False
            if wait <= 0:
                return True
            if wait > MAX_INLINE_WAIT or self._monotonic() + wait >= deadline:
                await self._postpone(chat_id, wait)
                return False
            # The chat's own second: others go meanwhile.
            await self._sleep(wait)

    async def _reserve(self, chat_id: int, deadline: float, lease_end: datetime) -> float | None:
        """0.0 when the message may go, the chat's own wait, or None when the chat must be
        handed back (its lease or this run's budget is nearly over)."""
        while True:
            lease_end = self._extend(lease_end)
            if self.deps.clock.now() >= lease_end - LEASE_MARGIN or self._monotonic() >= deadline:
                return None
            wait = await self.limiter.reserve(chat_id)
            if wait <= 0 or wait > SHARED_WAIT:
                return wait
            await self._sleep(wait)

    async def _send(
        self,
        chat_id: int,
        row: QueuedMessage,
        reply: Reply,
        message: RenderedMessage,
        later: Sequence[QueuedMessage],
    ) -> bool:
        """Sends one row and records the outcome; False when the chat's later rows must wait."""
        try:
            sent = await self._call(chat_id, reply, message)
        except FileMissingError as exc:
            log.error("outbox message %s: its file %s is missing", row.id, exc)
            await self._fail(row, f"file missing: {exc}")
            return True
        if isinstance(sent, RetryAfter):
            # Telegram says exactly how long to wait; asking earlier only extends the ban.
            log.info("chat %s: flood control, waiting %s s", chat_id, sent.seconds)
            await self._postpone(chat_id, sent.seconds)
            return False
        if isinstance(sent, Blocked):
            await self._block(chat_id, [row, *later], sent.reason)
            return False
        if isinstance(sent, Migrated):
            # A group upgraded to a supergroup has a new id; its messages follow it.
            log.warning(
                "chat %s is now %s; update STAFF_CHAT_ID if it is the staff group",
                chat_id,
                sent.chat_id,
            )
            now = self.deps.clock.now()
            async with self.deps.uow() as uow:
                await uow.outbox.postpone_chat(chat_id, now, now, self.worker_id)
                await uow.outbox.move_chat(chat_id, sent.chat_id)
                await uow.commit()
            return False
        if isinstance(sent, Refused):
            # Chat not found, bad markup, text too long: the same request would fail again.
            log.warning("outbox message %s to chat %s refused: %s", row.id, chat_id, sent.reason)
            await self._fail(row, sent.reason)
            return True
        if isinstance(sent, Failed):
            # 5xx, network errors, an unreadable answer: Telegram may be back in a moment.
            await self._retry(chat_id, row, describe(sent))
            return False
        # The one window left: Telegram has delivered the message but the commit below has not
        # happened yet. A crash exactly there sends this row again after its lease (the Bot API
        # has no idempotency key to prevent it); the commit follows the answer at once, in its
        # own transaction (on PostgreSQL a single round trip), to keep that window a few
        # milliseconds wide.
        async with self.deps.uow() as uow:
            uow.one_statement()
            await uow.outbox.mark_sent(row.id, self.deps.clock.now(), sent.message_id)
            await uow.commit()
        if isinstance(reply, FileReply) and reply.file_path:
            # Sent and recorded: the copy (buyer ids among its cells) is not kept any longer.
            (self.deps.settings.data_dir / reply.file_path).unlink(missing_ok=True)
        return True

    async def _call(self, chat_id: int, reply: Reply, message: RenderedMessage) -> Outcome:
        """One Bot API call: a text, a file re-sent by its file id as the kind it came as, a
        chart drawn for the message, or a file the bot wrote (an export)."""
        if not isinstance(reply, FileReply):
            return await self.bot.send_text(
                chat_id, message.text, message.keyboard, request_timeout=SEND_TIMEOUT
            )
        source: FileSource = reply.file_id
        kind = _FILE_KINDS.get(reply.file_kind, "document")
        if reply.file_kind == CHART_KIND:
            from bot.stats_chart import render_chart

            # Drawn now, from the figures in the row: the outbox keeps data, not pictures.
            png = await asyncio.to_thread(
                render_chart, reply.params["chart"], self.deps.translator, message.locale,
                reply.params,
            )
            source, kind = Upload(png, "stats.png"), "photo"
        timeout = SEND_TIMEOUT
        if reply.file_path:
            # A file the bot wrote under DATA_DIR (an export), uploaded as a document.
            path = self.deps.settings.data_dir / reply.file_path
            if not path.is_file():
                # Gone (deleted by hand, or a restored database without its files): cannot
                # come back.
                raise FileMissingError(str(path))
            # Up to 50 MB goes up in one request: more time than a text message needs. The
            # lease keeps being renewed meanwhile, so no other process takes the row over.
            source, kind = Upload(path, reply.file_name or path.name), "document"
            timeout = UPLOAD_TIMEOUT
        return await self.bot.send_file(
            chat_id,
            kind,
            source,
            message.text,
            message.keyboard,
            request_timeout=timeout,
        )

    async def _postpone(self, chat_id: int, seconds: float) -> None:
        now = self.deps.clock.now()
        async with self.deps.uow() as uow:
            await uow.outbox.postpone_chat(
                chat_id, now + timedelta(seconds=seconds), now, self.worker_id
            )
            await uow.commit()
        self.deps.outbox_bell.ring(now + timedelta(seconds=seconds))

    async def _retry(self, chat_id: int, row: QueuedMessage, error: str) -> None:
        attempts = row.attempts + 1
        now = self.deps.clock.now()
        if attempts >= MAX_ATTEMPTS:
            log.error(
                "outbox message %s to chat %s failed %s times, giving up: %s",
                row.id,
                chat_id,
                attempts,
                error,
            )
            await self._fail(row, error)
            return
        log.warning(
            "outbox message %s to chat %s failed (attempt %s): %s", row.id, chat_id, attempts, error
        )
        next_due = now + backoff(attempts)
        async with self.deps.uow() as uow:
            await uow.outbox.retry(row.id, error, next_due)
            # The chat's later messages wait too, so they never overtake this one.
            await uow.outbox.postpone_chat(chat_id, next_due, now, self.worker_id)
            await uow.commit()
        self.deps.outbox_bell.ring(next_due)

    async def _fail(self, row: QueuedMessage, error: str) -> None:
        async with self.deps.uow() as uow:
            await uow.outbox.fail(row.id, self.deps.clock.now(), error)
            await uow.commit()
        await asyncio.to_thread(self._drop_uploads, [row])

    def _drop_uploads(self, rows: Sequence[QueuedMessage]) -> None:
        """Deletes the files of uploads that will never be sent (a dossier's evidence, an
        export's buyer ids): they were written only to go out."""
        root = self.deps.settings.data_dir.resolve()
        for row in rows:
            try:
                _, reply = reply_from_payload(row.payload)
            except (TypeError, ValueError):
                continue
            if isinstance(reply, FileReply) and reply.file_path:
                path = (root / reply.file_path).resolve()
                if path.is_relative_to(root):
                    path.unlink(missing_ok=True)

    async def _block(self, chat_id: int, rows: Sequence[QueuedMessage], reason: str) -> None:
        log.info("chat %s refuses the bot (%s); its messages are dropped", chat_id, reason)
        now = self.deps.clock.now()
        async with self.deps.uow() as uow:
            await uow.outbox.block_chat(chat_id, now, reason)
            # Rows queued for the chat later fail at their claim, without calling Telegram.
            for row in rows:
                await uow.outbox.fail(row.id, now, reason)
            await uow.commit()
        await asyncio.to_thread(self._drop_uploads, rows)
