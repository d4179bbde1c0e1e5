"""The sender loop keeps claiming while earlier chats are still being written to.

These run in real time, with the per-chat second shortened (tests/bot/test_outbox_sender.py
covers the limits themselves in virtual time): what is tested is what waits for what.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.outbox import OutboxSender
from bot.ratelimit import Limit, LocalSendLimiter
from sandbox.botapi import FakeBotAPI
from storage.models import OutboxRow
from tests.bot.outbox_support import OutboxBot, numbered, outbox_bot

A, B, C = 1001, 1002, 1003
# The chat's own second, shortened; the bot's pace stays what it is.
CHAT_GAP = 0.4


def sender(ob: OutboxBot) -> OutboxSender:
    limiter = LocalSendLimiter(per_chat=Limit(1, CHAT_GAP))
    return OutboxSender(ob.deps, ob.harness.bot, "w1", limiter=limiter)


@asynccontextmanager
async def running(sender: OutboxSender, in_flight: int = 100) -> AsyncIterator[None]:
    loop = asyncio.create_task(sender.run_forever(idle=0.05, in_flight=in_flight))
    try:
        yield
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)


def sent_to(api: FakeBotAPI) -> list[int]:
    """The chat of every message Telegram accepted, in the order they arrived."""
    return [int(call.params["chat_id"]) for call in api.calls("sendMessage") if call.ok]


async def until_sent(api: FakeBotAPI, count: int, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    async with asyncio.timeout(timeout):
        while len(sent_to(api)) < count:  # noqa: ASYNC110  (the fake server's log has no event)
            await asyncio.sleep(0.01)


async def leased(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        query = (
            select(func.count())
            .select_from(OutboxRow)
            .where(OutboxRow.locked_by.is_not(None), OutboxRow.sent_at.is_(None))
        )
        return int((await connection.execute(query)).scalar_one())


async def test_a_chat_waiting_for_its_second_does_not_hold_up_chats_queued_meanwhile(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    async with outbox_bot(tmp_path, fake_api) as ob:
        for n in range(3):
            await ob.queue(A, numbered(n))
        async with running(sender(ob)):
            await fake_api.wait_for_call("sendMessage", chat_id=A)
            # Claimed while A's delivery still has two messages to go.
            await ob.queue(B, numbered(10))
            await ob.queue(C, numbered(11))
            await until_sent(fake_api, 5)
        assert sent_to(fake_api) == [A, B, C, A, A]
        assert ob.texts(A) == sorted(ob.texts(A))


async def test_notices_for_a_chat_still_being_written_to_wait_for_it_and_keep_their_order(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    async with outbox_bot(tmp_path, fake_api) as ob:
        await ob.queue(A, numbered(1))
        await ob.queue(A, numbered(2))
        async with running(sender(ob)):
            await fake_api.wait_for_call("sendMessage", chat_id=A)
            await ob.queue(A, numbered(3))
            await ob.queue(B, numbered(4))
            await until_sent(fake_api, 4)
        assert sent_to(fake_api) == [A, B, A, A]
        assert [text[-5:] for text in ob.texts(A)] == [text[-5:] for text in sorted(ob.texts(A))]


async def test_the_loop_holds_no_more_rows_than_it_may_have_in_flight(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    async with outbox_bot(tmp_path, fake_api) as ob:
        chats = range(10_001, 10_013)
        for chat_id in chats:
            await ob.queue(chat_id, numbered(chat_id))
            await ob.queue(chat_id, numbered(chat_id))
        most = 0
        async with running(sender(ob), in_flight=4), asyncio.timeout(20):
            while len(sent_to(fake_api)) < 24:
                most = max(most, await leased(ob.deps.engine))
                await asyncio.sleep(0.005)
        assert 0 < most <= 4
        assert sorted(sent_to(fake_api)) == sorted([*chats, *chats])


async def test_stopping_the_loop_stops_its_deliveries_and_their_rows_come_back_later(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    async with outbox_bot(tmp_path, fake_api) as ob:
        await ob.queue(A, numbered(1))
        await ob.queue(A, numbered(2))
        async with running(sender(ob)), asyncio.timeout(5):
            # Stopped once the first send is recorded, while the chat waits for its second.
            while not any(row.sent_at for row in await ob.rows()):  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        await asyncio.sleep(2 * CHAT_GAP)
        assert sent_to(fake_api) == [A]  # nothing goes out once the loop is stopped
        first, second = await ob.rows()
        assert first.sent_at is not None
        assert (second.sent_at, second.locked_by) == (None, "w1")  # claimed again after the lease


async def test_chats_ready_to_send_ask_the_limiter_in_turn_not_all_at_once(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    class Counting(LocalSendLimiter):
        asked = 0

        async def reserve(self, chat_id: int) -> float:
            self.asked += 1
            return await super().reserve(chat_id)

    async with outbox_bot(tmp_path, fake_api) as ob:
        for chat_id in range(10_001, 10_041):
            await ob.queue(chat_id, numbered(chat_id))
        limiter = Counting()  # the bot's own pace, 29 a second
        worker = OutboxSender(ob.deps, ob.harness.bot, "w1", limiter=limiter)
        assert await worker.run_once() == 40
        assert len(sent_to(fake_api)) == 40
        # One waits for the bot's next slot while the others queue behind it: at most one "not
        # yet" per message, where 40 chats asking at every slot would hear it hundreds of times.
        assert limiter.asked <= 2 * 40
