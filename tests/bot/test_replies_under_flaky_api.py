"""Ten buyers file at once while the Bot API fails one call in five with a 500.

Through the real dispatcher and the sender loop, in real time, against the fake Bot API server:
every buyer must read the bot's answers in the order the steps asked them, each once, each
input answered within ANSWER_WITHIN, and no update may fail for a call that only tidies the
chat (answering a button, retiring its keyboard).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest

from bot.outbox import OutboxSender
from cases.clock import ManualClock
from sandbox.botapi import FakeBotAPI
from tests.bot.harness import BotHarness, Person, bot_harness
from tests.bot.test_filing_through_dispatcher import NOW, order

BUYERS = 10
ANSWER_WITHIN = 10.0
# A buyer who has waited this long for an answer types the next one anyway, as people do.
IMPATIENT_AFTER = 1.0

Act = Callable[[Person, int], Awaitable[None]]
STEPS: tuple[tuple[Act, str, bool], ...] = (
    # (what the buyer does, a phrase of the answer, whether it needs the answer's buttons)
    (lambda p, n: p.send(f"/start complain_{order_no(n)}"), "platform account name", False),
    (lambda p, n: p.send(f"buyer{n}"), "what went wrong", False),
    (lambda p, n: p.click("f:reason:card_invalid"), "Describe", True),
    (lambda p, n: p.send("The card code says it was used already."), "Evidence", False),
)


def order_no(n: int) -> str:
    return f"KM2026112520{n:03d}"


async def tick(clock: ManualClock) -> None:
    """Moves the harness's clock with real time: the backoff and the loop's bell run on it."""
    last = time.monotonic()
    while True:
        await asyncio.sleep(0.02)
        now = time.monotonic()
        clock.advance(timedelta(seconds=now - last))
        last = now


@contextlib.asynccontextmanager
async def running(harness: BotHarness) -> AsyncIterator[None]:
    sender = OutboxSender(harness.deps, harness.bot, harness.deps.worker_id)
    tasks = [asyncio.create_task(tick(harness.clock)), asyncio.create_task(sender.run_forever())]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def answers(api: FakeBotAPI, chat_id: int) -> list[tuple[float, str]]:
    """(arrival time, text) of each message Telegram accepted for the chat, in order."""
    return [
        (call.at, str(call.params.get("text", "")))
        for call in api.calls("sendMessage")
        if call.ok and str(call.params.get("chat_id")) == str(chat_id)
    ]


async def answered(api: FakeBotAPI, chat_id: int, count: int, within: float) -> bool:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(within):
            while len(answers(api, chat_id)) < count:  # noqa: ASYNC110 (the log has no event)
                await asyncio.sleep(0.02)
            return True
    return False


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    async with bot_harness(tmp_path, fake_api, NOW) as running_harness:
        await running_harness.add_orders(
            *(order(order_no(n), buyer_account=f"buyer{n}") for n in range(BUYERS))
        )
        yield running_harness


async def test_each_buyer_reads_the_answers_in_order_and_soon_while_one_call_in_five_fails(
    harness: BotHarness, fake_api: FakeBotAPI
) -> None:
    fake_api.fail_one_in(5, "sendMessage", "answerCallbackQuery", "editMessageReplyMarkup")
    failed_updates: list[BaseException] = []
    asked: dict[int, list[float]] = {}

    async def buyer(n: int) -> None:
        person = harness.user(user_id=800_000 + n, language_code="en")
        asked[person.id] = []
        for step, (act, _, needs_buttons) in enumerate(STEPS):
            if needs_buttons:  # a button can only be pressed once its message has arrived
                await answered(fake_api, person.id, step, ANSWER_WITHIN)
            asked[person.id].append(time.monotonic())
            try:
                await act(person, n)
            except Exception as exc:  # the inbox would retry it; here it is the failure
                failed_updates.append(exc)
            await answered(fake_api, person.id, step + 1, IMPATIENT_AFTER)

    async with running(harness), asyncio.timeout(60):
        await asyncio.gather(*(buyer(n) for n in range(BUYERS)))
        for chat_id in asked:
            assert await answered(fake_api, chat_id, len(STEPS), ANSWER_WITHIN), chat_id

    assert failed_updates == []
    failed_sends = [call for call in fake_api.calls("sendMessage") if not call.ok]
    assert len(failed_sends) >= BUYERS * len(STEPS) // 5 - 1  # the API did fail, as set
    slowest = 0.0
    for chat_id, inputs in asked.items():
        got = answers(fake_api, chat_id)
        texts = [text for _, text in got]
        assert len(texts) == len(STEPS), (chat_id, texts)
        for text, (_, phrase, _) in zip(texts, STEPS, strict=True):
            assert phrase in text, (chat_id, texts)
        for (at, _), input_at in zip(got, inputs, strict=True):
            slowest = max(slowest, at - input_at)
    assert slowest <= ANSWER_WITHIN
    print(f"{len(failed_sends)} sends failed; slowest answer {slowest:.2f} s")  # noqa: T201
