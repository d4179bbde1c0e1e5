"""Replies are outbox rows committed with the dialog step that caused them.

The handling process sends them right after its commit; if it dies first, or Telegram fails,
the outbox sender delivers them later — so an answer is never lost and never sent twice.
Telegram's refusals on this path follow the sender's rules: a 429 hands the reply to the sender
loop for after `retry_after`, a 403 records the block until the buyer writes again, a send that
times out is retried.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import bot.outbox
from bot.outbox import LEASE, OutboxSender
from bot.ratelimit import Limit, LocalSendLimiter
from dialogs import buyer as buyer_dialog
from sandbox.botapi import FakeBotAPI
from storage.models import BlockedChatRow, OutboxRow
from tests.bot.harness import BotHarness, bot_harness
from tests.bot.test_filing_through_dispatcher import NOW, order


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    async with bot_harness(tmp_path, fake_api, NOW) as running:
        await running.add_orders(order())
        yield running


async def replies(harness: BotHarness) -> list[OutboxRow]:
    query = select(OutboxRow).where(OutboxRow.key.startswith("reply:")).order_by(OutboxRow.id)
    async with AsyncSession(harness.deps.engine) as session:
        return list((await session.execute(query)).scalars())


ASK_ACCOUNT = "To confirm that order KM202611250001 is yours"


def loop_sender(harness: BotHarness) -> OutboxSender:
    """The sender loop of the same process, which takes over replies handed back to the table."""
    return OutboxSender(harness.deps, harness.bot, harness.deps.worker_id)


def sends(api: FakeBotAPI, chat_id: int) -> int:
    return sum(
        1
        for call in api.calls("sendMessage")
        if call.ok and str(call.params.get("chat_id")) == str(chat_id)
    )


async def test_a_reply_is_an_outbox_row_marked_sent_with_telegrams_message_id(
    harness: BotHarness,
) -> None:
    buyer = harness.user(language_code="en")
    update = buyer.fake.build_command("complain", "KM202611250001")
    await harness.feed(update)
    [row] = await replies(harness)
    [message] = buyer.messages()
    assert row.chat_id == buyer.id
    assert row.key == f"reply:{update['update_id']}:0"
    assert row.sent_at is not None
    assert row.message_id == message.message_id
    assert row.payload["key"] == "filing.ask_account"


async def test_the_same_update_delivered_twice_is_answered_once(harness: BotHarness) -> None:
    buyer = harness.user(language_code="en")
    update = buyer.fake.build_command("complain", "KM202611250001")
    await harness.feed(update)
    await harness.feed(dict(update))
    assert sends(harness.api, buyer.id) == 1
    assert len(await replies(harness)) == 1


async def test_a_process_dying_after_its_commit_leaves_the_reply_to_the_sender(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def die_before_sending(self: OutboxSender, rows: Any, ahead: Any) -> None:
        return None

    monkeypatch.setattr(OutboxSender, "deliver_now", die_before_sending)
    buyer = harness.user(language_code="en")
    await buyer.send("/complain KM202611250001")
    assert buyer.messages() == []
    monkeypatch.undo()

    other = OutboxSender(harness.deps, harness.bot, "another-process")
    assert await other.run_once() == 0  # the dead process's lease still holds the reply
    harness.clock.advance(LEASE + timedelta(seconds=1))
    assert await other.run_once() == 1
    assert await other.run_once() == 0
    [answer] = buyer.texts()
    assert answer.startswith("To confirm that order KM202611250001 is yours")
    assert sends(harness.api, buyer.id) == 1
    [row] = await replies(harness)
    assert row.sent_at is not None


async def test_a_reply_telegram_fails_to_take_is_sent_again_by_the_sender(
    harness: BotHarness,
) -> None:
    buyer = harness.user(language_code="en")
    harness.api.fail_next("sendMessage", 502, description="Bad Gateway")
    await buyer.send("/complain KM202611250001")
    assert buyer.messages() == []
    [row] = await replies(harness)
    assert row.sent_at is None
    assert row.attempts == 1
    sender = OutboxSender(harness.deps, harness.bot, harness.deps.worker_id)
    harness.clock.advance(timedelta(minutes=1))
    assert await sender.run_once() == 1
    assert len(buyer.messages()) == 1
    assert sends(harness.api, buyer.id) == 1


async def test_a_failing_handler_apologises_once_however_often_the_update_comes(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def a_bug(*_: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(buyer_dialog, "handle", a_bug)
    buyer = harness.user(language_code="en")
    update = buyer.fake.build_text("hello")
    for _ in range(3):
        await harness.feed(dict(update))
    [apology] = buyer.texts()
    assert apology.startswith("Sorry, something went wrong")
    async with AsyncSession(harness.deps.engine) as session:
        [row] = (await session.execute(select(OutboxRow))).scalars()
    assert row.key == f"error:{update['update_id']}"
    assert row.sent_at is not None


async def test_the_apology_is_in_the_language_chosen_with_language(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    buyer = harness.user(language_code="zh-hans")
    await buyer.send("/language")
    await buyer.click("English")

    async def a_bug(*_: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(buyer_dialog, "handle", a_bug)
    await buyer.send("hello")
    assert buyer.last_text().startswith("Sorry, something went wrong")


async def test_a_reply_refused_with_429_waits_retry_after_then_goes_out_once(
    harness: BotHarness,
) -> None:
    buyer = harness.user(language_code="en")
    harness.api.fail_next("sendMessage", 429, retry_after=9, chat_id=buyer.id)
    await buyer.send("/complain KM202611250001")
    assert buyer.texts() == []
    [row] = await replies(harness)
    assert row.sent_at is None
    assert row.locked_by is None  # handed to whichever sender comes after the wait
    assert row.due_at == NOW + timedelta(seconds=9)
    harness.clock.advance(timedelta(seconds=8))
    assert await loop_sender(harness).run_once() == 0  # asking earlier only extends the ban
    harness.clock.advance(timedelta(seconds=1))
    assert await loop_sender(harness).run_once() == 1
    [answer] = buyer.texts()
    assert answer.startswith(ASK_ACCOUNT)
    assert await loop_sender(harness).run_once() == 0


async def test_a_reply_to_a_buyer_who_blocked_the_bot_records_the_block_until_they_write(
    harness: BotHarness,
) -> None:
    buyer = harness.user(language_code="en")
    harness.api.block(buyer.id)
    await buyer.send("/complain KM202611250001")
    [row] = await replies(harness)
    assert row.failed_at is not None
    assert row.sent_at is None
    async with AsyncSession(harness.deps.engine) as session:
        blocked = list((await session.execute(select(BlockedChatRow.chat_id))).scalars())
    assert blocked == [buyer.id]
    # Nothing retries into a blocked chat: the failed reply stays failed.
    harness.clock.advance(timedelta(hours=1))
    assert await loop_sender(harness).run_once() == 0

    harness.api.unblock(buyer.id)
    await buyer.send("/complain KM202611250001")
    async with AsyncSession(harness.deps.engine) as session:
        assert list((await session.execute(select(BlockedChatRow))).scalars()) == []
    [answer] = buyer.texts()
    assert answer.startswith(ASK_ACCOUNT)


async def test_a_reply_whose_send_times_out_is_sent_again_by_the_sender(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.outbox, "SEND_TIMEOUT", 1)
    buyer = harness.user(language_code="en")
    harness.api.delay("sendMessage", 30)  # held until the client gives up
    await buyer.send("/complain KM202611250001")
    harness.api.delay("sendMessage", 0)
    [row] = await replies(harness)
    assert row.sent_at is None
    assert row.attempts == 1
    assert row.last_error
    harness.clock.advance(timedelta(minutes=1))
    assert await loop_sender(harness).run_once() == 1
    [row] = await replies(harness)
    assert row.sent_at is not None
    # The first attempt was still held by the server when the client gave up: one copy shown.
    [answer] = buyer.texts()
    assert answer.startswith(ASK_ACCOUNT)


async def test_a_reply_waits_behind_an_earlier_one_still_waiting_for_its_retry(
    harness: BotHarness,
) -> None:
    buyer = harness.user(language_code="en")
    harness.api.fail_next("sendMessage", 502, description="Bad Gateway")
    await buyer.send("/complain KM202611250001")
    await buyer.send("lihua_88")  # typed before the question arrived
    assert buyer.texts() == []  # the answer to it would have come first
    harness.clock.advance(timedelta(seconds=1))
    limiter = LocalSendLimiter(per_chat=Limit(1, 0.01))
    sender = OutboxSender(harness.deps, harness.bot, harness.deps.worker_id, limiter=limiter)
    assert await sender.run_once() == 2
    first, second = buyer.texts()
    assert first.startswith(ASK_ACCOUNT)
    assert "what went wrong" in second


async def test_a_reply_takes_the_notices_queued_before_it_along_in_order(
    harness: BotHarness,
) -> None:
    buyer = harness.user(language_code="en")
    async with harness.deps.uow() as uow:
        notice = {"locale": "en", "key": "status.not_found", "params": {"case_no": "TS1"}}
        await uow.outbox.add(buyer.id, notice, harness.clock.now())
        await uow.commit()
    await buyer.send("/complain KM202611250001")
    notice_text, answer = buyer.texts()
    assert "TS1" in notice_text
    assert answer.startswith(ASK_ACCOUNT)
