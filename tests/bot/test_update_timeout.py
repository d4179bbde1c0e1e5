"""UPDATE_TIMEOUT: a hung handler frees its chat and lane, is retried once, then apologised for."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.inbox import InboxWorker, store_updates
from sandbox.botapi import FakeBotAPI, FakeUser
from storage.models import InboxRow, OutboxRow
from tests.bot.harness import BotHarness, bot_harness
from tests.bot.outbox_support import VirtualTime, deliver_all, make_sender

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
# Small, yet well above what an ordinary update takes on a busy test machine.
TIMEOUT = 1.0
# Far longer than the test: only the time limit ends a call held this long.
HELD = 60.0


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    async with bot_harness(tmp_path, fake_api, NOW, update_timeout=TIMEOUT) as running:
        yield running


def texts(harness: BotHarness, user: FakeUser) -> list[str]:
    sent = harness.api.sent_messages(user.chat_id)
    return [message.plain_text for message in sent if message.method == "sendMessage"]


async def until(condition: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    async with asyncio.timeout(within):
        while not await condition():  # noqa: ASYNC110  (a database row has no event to await)
            await asyncio.sleep(0.02)


async def inbox_row(harness: BotHarness, update_id: int) -> InboxRow:
    async with harness.deps.engine.connect() as connection:
        rows = await connection.execute(
            select(InboxRow.__table__).where(InboxRow.update_id == update_id)
        )
        return rows.one()  # type: ignore[return-value]


async def outbox_keys(harness: BotHarness) -> list[str]:
    async with harness.deps.engine.connect() as connection:
        return [key for key in await connection.scalars(select(OutboxRow.key)) if key]


async def deliver(harness: BotHarness) -> None:
    time = VirtualTime(harness.clock)
    await deliver_all(make_sender(harness.deps, harness.bot, "w2", time), harness.deps.engine, time)


async def test_a_hung_button_frees_the_chat_is_retried_once_then_the_user_is_asked_to_retry(
    harness: BotHarness,
) -> None:
    buyer = harness.api.user(id=2001, language_code="en")
    inbox = InboxWorker(harness.deps, harness.turns, "w1", concurrency=1)
    await harness.feed(buyer.build_command("start"))
    [menu] = [m for m in harness.api.sent_messages(buyer.chat_id) if m.callback_data]
    # Telegram leaves answerCallbackQuery hanging, as it did in production.
    harness.api.delay("answerCallbackQuery", HELD)
    click = buyer.build_click(menu.callback_data[0])
    follow_up = buyer.build_command("help")
    await store_updates(harness.deps, [click, follow_up])
    mark = harness.api.mark()

    # One lane only: the hung press must give it back for the next message to be answered.
    lane = asyncio.create_task(inbox.run_forever(idle=0.05))
    try:
        await harness.api.wait_for_call(
            "sendMessage", chat_id=buyer.chat_id, after=mark, timeout=5.0
        )
        assert "/complain" in texts(harness, buyer)[-1]  # the /help answer
        first = await inbox_row(harness, click["update_id"])
        assert first.done_at is None  # set aside to be tried once more, not lost
        assert "timed out" in (first.last_error or "")

        harness.clock.advance(timedelta(seconds=1))  # its short backoff
        inbox.wake()

        async def given_up() -> bool:
            return (await inbox_row(harness, click["update_id"])).done_at is not None

        await until(given_up)
    finally:
        inbox.stop()
        await lane

    row = await inbox_row(harness, click["update_id"])
    assert row.attempts == 2
    assert "timed out" in (row.last_error or "")
    assert len(harness.api.calls("answerCallbackQuery")) == 0  # none was ever answered
    assert f"timeout:{click['update_id']}" in await outbox_keys(harness)
    async with harness.deps.uow() as uow:
        assert await uow.inbox.backlog() == 0
    harness.api.delay("answerCallbackQuery", 0)
    await deliver(harness)
    assert texts(harness, buyer)[-1].startswith("Sorry, your request could not be processed")


async def test_a_reply_held_up_after_its_commit_is_sent_by_the_sender_and_no_apology_follows(
    harness: BotHarness,
) -> None:
    buyer = harness.api.user(id=2002, language_code="en")
    inbox = InboxWorker(harness.deps, harness.turns, "w1")
    harness.api.delay("sendMessage", HELD)
    update = buyer.build_command("help")
    await store_updates(harness.deps, [update])
    assert await inbox.run_once() == 1  # the step committed; sending its reply hung
    # Handed back to the sender loop: left leased to this live process, whose lease renewals
    # go on, it would wait for a restart.
    async with harness.deps.engine.connect() as connection:
        [(locked_by, sent_at)] = (
            await connection.execute(
                select(OutboxRow.locked_by, OutboxRow.sent_at).where(
                    OutboxRow.chat_id == buyer.chat_id
                )
            )
        ).all()
    assert (locked_by, sent_at) == (None, None)

    harness.api.delay("sendMessage", 0)
    harness.clock.advance(timedelta(seconds=1))
    assert await inbox.run_until_idle() == 1  # the retry finds the update handled already
    row = await inbox_row(harness, update["update_id"])
    assert row.done_at is not None
    assert not [key for key in await outbox_keys(harness) if key.startswith("timeout:")]

    await deliver(harness)
    assert len([t for t in texts(harness, buyer) if "/complain" in t]) == 1
