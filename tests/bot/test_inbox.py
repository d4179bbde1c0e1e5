"""The durable inbox through the real turn runner: stored first, handled per chat, once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.inbox import LEASE, MAX_ATTEMPTS, InboxWorker, store_updates
from bot.intake import PollingIntake
from cases.model import Order, OrderStatus
from sandbox.botapi import FakeBotAPI, FakeUser
from tests.bot.harness import BotHarness, bot_harness

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
ORDER_NO = "KM202611250001"


def order(order_no: str, account: str) -> Order:
    return Order(
        order_no=order_no,
        buyer_account=account,
        merchant_code="M1001",
        product="Steam 充值卡 100元",
        category="game_card",
        amount=10000,
        currency="CNY",
        paid_at=NOW - timedelta(days=1),
        delivered_at=NOW - timedelta(days=1) + timedelta(minutes=2),
        status=OrderStatus.DELIVERED,
    )


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    async with bot_harness(tmp_path, fake_api, NOW) as running:
        await running.add_orders(order(ORDER_NO, "lihua_88"), order("KM202611250002", "wang_9"))
        yield running


def worker(harness: BotHarness, worker_id: str = "w1") -> InboxWorker:
    return InboxWorker(harness.deps, harness.turns, worker_id)


def texts(harness: BotHarness, user: FakeUser) -> list[str]:
    sent = harness.api.sent_messages(user.chat_id)
    return [message.plain_text for message in sent if message.method == "sendMessage"]


async def backlog(harness: BotHarness) -> int:
    async with harness.deps.uow() as uow:
        return await uow.inbox.backlog()


def filing_start(user: FakeUser, order_no: str, account: str) -> list[dict[str, Any]]:
    return [
        user.build_command("complain", order_no),
        user.build_text(account),
        user.build_text("the card never arrived"),  # the reason step wants a button
    ]


async def two_chats_interleaved(harness: BotHarness) -> tuple[FakeUser, FakeUser]:
    """Stores the first three filing steps of two buyers, their updates interleaved."""
    first = harness.api.user(id=2001, language_code="en")
    second = harness.api.user(id=2002, language_code="en")
    a = filing_start(first, ORDER_NO, "lihua_88")
    b = filing_start(second, "KM202611250002", "wang_9")
    await store_updates(harness.deps, [a[0], b[0], a[1], b[1], a[2], b[2]])
    return first, second


def each_answered_in_order(harness: BotHarness, *users: FakeUser) -> None:
    for user in users:
        replies = texts(harness, user)
        assert len(replies) >= 3, replies
        assert "account" in replies[0]
        assert "what went wrong" in replies[1]


async def test_each_chat_is_handled_in_order_while_chats_interleave(
    harness: BotHarness,
) -> None:
    first, second = await two_chats_interleaved(harness)
    assert await worker(harness).run_until_idle() == 6
    each_answered_in_order(harness, first, second)
    assert await backlog(harness) == 0


async def test_lanes_keep_each_chat_in_order_and_leave_every_update_done(
    harness: BotHarness,
) -> None:
    # The lanes mark an update done in the transaction claiming their next one: a chat's next
    # update must still follow its previous one, and stopping must leave nothing pending.
    first = harness.api.user(id=2001, language_code="en")
    second = harness.api.user(id=2002, language_code="en")
    a = filing_start(first, ORDER_NO, "lihua_88")
    b = filing_start(second, "KM202611250002", "wang_9")
    running = worker(harness)
    task = asyncio.create_task(running.run_forever(idle=0.05))
    await store_updates(harness.deps, [a[0], b[0], a[1], b[1], a[2], b[2]])
    running.wake()
    async with asyncio.timeout(10):
        while len(texts(harness, first)) < 3 or len(texts(harness, second)) < 3:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    running.stop()
    await asyncio.wait_for(task, timeout=5)
    for user in (first, second):
        replies = texts(harness, user)
        assert "account" in replies[0]
        assert "what went wrong" in replies[1]
    assert await backlog(harness) == 0


async def test_an_update_stored_twice_has_one_effect(harness: BotHarness) -> None:
    buyer = harness.api.user(id=2001, language_code="en")
    update = buyer.build_command("complain", ORDER_NO)
    assert await store_updates(harness.deps, [update]) == 1
    assert await store_updates(harness.deps, [dict(update)]) == 0
    assert await worker(harness).run_until_idle() == 1
    assert len(texts(harness, buyer)) == 1


async def test_an_update_whose_worker_died_is_handled_once_by_another_after_the_lease(
    harness: BotHarness,
) -> None:
    buyer = harness.api.user(id=2001, language_code="en")
    await store_updates(harness.deps, filing_start(buyer, ORDER_NO, "lihua_88")[:2])
    async with harness.deps.uow() as uow:
        # A worker claims the first update and is killed before handling it.
        [claimed] = await uow.inbox.claim(harness.clock.now(), "dead", LEASE, 10)
        await uow.commit()
    survivor = worker(harness, "w2")
    assert await survivor.run_until_idle() == 0  # the chat waits for the lease
    harness.clock.advance(LEASE)
    assert await survivor.run_until_idle() == 2
    replies = texts(harness, buyer)
    assert len(replies) == 2
    assert "account" in replies[0]
    assert claimed.attempts == 1


async def test_a_worker_killed_after_handling_but_before_marking_done_repeats_nothing(
    harness: BotHarness,
) -> None:
    buyer = harness.api.user(id=2001, language_code="en")
    update = buyer.build_command("complain", ORDER_NO)
    await store_updates(harness.deps, [update])
    async with harness.deps.uow() as uow:
        [claimed] = await uow.inbox.claim(harness.clock.now(), "dead", LEASE, 10)
        await uow.commit()
    # The dead worker had handled it (effects committed) but not marked the inbox row done.
    await harness.turns.feed(claimed.payload)
    harness.clock.advance(LEASE)
    assert await worker(harness, "w2").run_until_idle() == 1
    assert len(texts(harness, buyer)) == 1
    assert await backlog(harness) == 0


async def test_polling_stores_updates_before_moving_the_offset_on(harness: BotHarness) -> None:
    buyer = harness.api.user(id=2001, language_code="en")
    for update in filing_start(buyer, ORDER_NO, "lihua_88")[:2]:
        await harness.api.queue_update(update)
    intake = PollingIntake(
        harness.deps, harness.bot, worker(harness), ["message", "callback_query"], timeout=0
    )
    assert await intake.poll_once() == 2
    assert await backlog(harness) == 2
    last = harness.api.calls("getUpdates")[-1]
    assert last.params.get("offset") is None  # nothing acknowledged before the commit
    assert await intake.poll_once() == 0
    assert harness.api.calls("getUpdates")[-1].params["offset"] == intake.offset
    assert await worker(harness).run_until_idle() == 2
    assert len(texts(harness, buyer)) == 2


async def test_a_lane_marks_each_update_done_and_claims_the_next_in_its_own_turn(
    harness: BotHarness,
) -> None:
    first, second = await two_chats_interleaved(harness)
    real_uow, units = harness.deps.uow, 0

    def counted() -> Any:
        nonlocal units
        units += 1
        return real_uow()

    harness.deps.uow = counted
    lane = InboxWorker(harness.deps, harness.turns, "w1", concurrency=1)
    running = asyncio.create_task(lane.run_forever(idle=60))
    try:
        async with asyncio.timeout(20):
            while True:
                async with real_uow() as uow:
                    if await uow.inbox.backlog() == 0:
                        break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.1)  # the last ride's claim found nothing: the lane waits
    finally:
        lane.stop()
        await asyncio.wait_for(running, 10)
        harness.deps.uow = real_uow
    each_answered_in_order(harness, first, second)
    sent = len(texts(harness, first) + texts(harness, second))
    # Each update's turn, each reply's sent mark, the lane's first claim, the one that found
    # nothing left and the hand-back at the stop: no transaction of its own marked an update
    # done or claimed the next (one each before: 6 more).
    assert units == 6 + sent + 2 + 1


async def test_polling_redelivers_what_it_could_not_store(harness: BotHarness) -> None:
    buyer = harness.api.user(id=2001, language_code="en")
    await harness.api.queue_update(buyer.build_command("complain", ORDER_NO))
    intake = PollingIntake(harness.deps, harness.bot, worker(harness), ["message"], timeout=0)
    await harness.deps.engine.dispose()
    real_uow = harness.deps.uow

    def broken() -> Any:
        raise OSError("database is away")

    harness.deps.uow = broken
    with pytest.raises(OSError, match="away"):
        await intake.poll_once()
    harness.deps.uow = real_uow
    assert intake.offset is None
    assert await intake.poll_once() == 1  # Telegram delivered it again
    assert await backlog(harness) == 1


async def test_stopping_finishes_the_update_in_hand_and_hands_back_nothing_started(
    harness: BotHarness,
) -> None:
    buyer = harness.api.user(id=2001, language_code="en")
    harness.api.delay("sendMessage", 0.3)
    running = worker(harness)
    task = asyncio.create_task(running.run_forever(idle=0.05))
    await store_updates(harness.deps, [buyer.build_command("complain", ORDER_NO)])
    running.wake()
    await asyncio.sleep(0.1)  # claimed and handling: its reply is held for 0.3 s
    running.stop()
    await asyncio.wait_for(task, timeout=5)
    harness.api.delay("sendMessage", 0)
    assert len(texts(harness, buyer)) == 1
    assert await backlog(harness) == 0


async def test_an_update_the_bot_cannot_read_is_kept_and_given_up_with_its_error(
    harness: BotHarness,
) -> None:
    odd = {"update_id": 77, "message": {"text": "no chat, no date"}}
    assert await store_updates(harness.deps, [odd]) == 1
    running = worker(harness)
    for _ in range(MAX_ATTEMPTS):
        await running.run_until_idle()
        harness.clock.advance(timedelta(minutes=1))
    assert await backlog(harness) == 0


async def test_a_process_taken_over_handles_no_update_it_still_claims(
    harness: BotHarness,
) -> None:
    buyer = harness.api.user(id=2001, language_code="en")
    await store_updates(harness.deps, [buyer.build_command("start")])
    harness.deps.liveness.taken_over()  # another process took this one for dead (bot/heartbeat.py)
    assert await worker(harness).run_once() == 1
    assert texts(harness, buyer) == []
    assert await backlog(harness) == 1  # left to the process that took it over
