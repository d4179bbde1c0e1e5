"""Shared helpers for the outbox sender tests: virtual time, queuing, reading the table."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.methods import SendMessage
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.deps import Deps
from bot.outbox import OutboxSender
from cases.clock import ManualClock
from dialogs.types import Reply
from sandbox.botapi import FakeBotAPI
from storage.models import BlockedChatRow, OutboxRow
from tests.bot.harness import BotHarness, Person, bot_harness

T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


class VirtualTime:
    """The sender's monotonic clock and sleep: sleeping moves time (and the ManualClock) at once.

    Sleeps of concurrent chats add up instead of overlapping, so virtual time runs ahead of what
    a real clock would show; the limits are then only easier to keep, so a test that finds them
    kept with it proves the sender waited as told.
    """

    def __init__(self, clock: ManualClock) -> None:
        self.now = 0.0
        self.clock = clock
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        self.clock.advance(timedelta(seconds=seconds))
        await asyncio.sleep(0)


@dataclass
class OutboxBot:
    harness: BotHarness
    time: VirtualTime
    sends: list[tuple[float, int]]  # (virtual time, chat_id) of every successful sendMessage

    @property
    def api(self) -> FakeBotAPI:
        return self.harness.api

    @property
    def deps(self) -> Deps:
        return self.harness.deps

    def sender(self, worker_id: str = "w1") -> OutboxSender:
        return make_sender(self.deps, self.harness.bot, worker_id, self.time)

    async def queue(self, chat_id: int, reply: Reply, locale: str = "zh_CN") -> None:
        await queue(self.deps, chat_id, reply, locale)

    async def deliver_all(self, worker_id: str = "w1", rounds: int = 500) -> None:
        await deliver_all(self.sender(worker_id), self.deps.engine, self.time, rounds)

    async def rows(self) -> list[OutboxRow]:
        return await outbox_rows(self.deps.engine)

    def texts(self, chat_id: int) -> list[str]:
        return [m.plain_text for m in self.api.sent_messages(chat_id)]

    def calls_to(self, chat_id: int) -> int:
        """How many sendMessage calls reached Telegram for the chat, successful or not."""
        calls = self.api.calls("sendMessage")
        return sum(1 for call in calls if str(call.params.get("chat_id")) == str(chat_id))


def make_sender(deps: Deps, bot: Any, worker_id: str, time: VirtualTime) -> OutboxSender:
    return OutboxSender(deps, bot, worker_id, monotonic=time.monotonic, sleep=time.sleep)


def record_sends(port: Any, time: VirtualTime) -> list[tuple[float, int]]:
    """Notes the virtual time at which each message that Telegram accepted was handed to it.

    Stamped as the request leaves the bot, not as the fake server reads it: while one request
    is on its way another chat's sleep may already have moved virtual time.
    """
    sends: list[tuple[float, int]] = []

    async def stamp(make_request: Any, bot: Bot, method: Any) -> Any:
        started = time.now
        response = await make_request(bot, method)
        if isinstance(method, SendMessage):
            sends.append((started, int(method.chat_id)))
        return response

    bot: Bot = port.bot  # the adapter's aiogram Bot
    bot.session.middleware(stamp)
    return sends


@asynccontextmanager
async def outbox_bot(tmp_path: Path, api: FakeBotAPI) -> AsyncIterator[OutboxBot]:
    async with bot_harness(tmp_path, api, T0) as harness:
        time = VirtualTime(harness.clock)
        yield OutboxBot(harness, time, record_sends(harness.bot, time))


def numbered(n: int) -> Reply:
    """A notice whose text tells which one it is."""
    return Reply("status.not_found", {"case_no": f"TS{n:05d}"})


async def queue(deps: Deps, chat_id: int, reply: Reply, locale: str = "zh_CN") -> None:
    async with deps.uow() as uow:
        await uow.outbox.add(chat_id, reply.to_payload(locale), deps.clock.now())
        await uow.commit()


async def outbox_rows(engine: AsyncEngine) -> list[OutboxRow]:
    async with AsyncSession(engine) as session:
        result = await session.execute(select(OutboxRow).order_by(OutboxRow.id))
        return list(result.scalars())


async def blocked_chats(engine: AsyncEngine) -> dict[int, str]:
    async with AsyncSession(engine) as session:
        result = await session.execute(select(BlockedChatRow))
        return {row.chat_id: row.reason for row in result.scalars()}


async def deliver_all(
    sender: OutboxSender, engine: AsyncEngine, time: VirtualTime, rounds: int = 500
) -> None:
    """Runs the sender as run_forever would until no row is pending."""
    for _ in range(rounds):
        pending = [
            r for r in await outbox_rows(engine) if r.sent_at is None and r.failed_at is None
        ]
        if not pending:
            return
        if await sender.run_once() == 0:
            # Idle: sleep until the next row falls due, as run_forever does when its bell is
            # rung; a second at a time while rows are held by a lease.
            next_due = (min(r.due_at for r in pending) - time.clock.now()).total_seconds()
            await time.sleep(next_due if next_due > 0 else 1.0)
    raise AssertionError("the outbox did not drain")


def staff_member(harness: BotHarness, user_id: int, chat_id: int) -> Person:
    """A staff member writing in the staff group `chat_id`."""
    fake = harness.api.user(id=user_id, first_name="agent", language_code="zh-hans")
    return Person(harness, fake.in_chat(chat_id, "supergroup", title="客服群"))


async def chat_after_sending(harness: BotHarness, chat_id: int) -> list[str]:
    """Sends every queued message, then returns what the chat reads, oldest first."""
    time = VirtualTime(harness.clock)
    await deliver_all(make_sender(harness.deps, harness.bot, "w1", time), harness.deps.engine, time)
    return [m.plain_text for m in harness.api.sent_messages(chat_id)]
