"""Telegram's flood limits in the local server: off by default, 429 past them when switched on."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter

from sandbox.botapi import FakeBotAPI, FloodLimits, Rate


class Ticks:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_one_message_per_second_per_chat() -> None:
    clock = Ticks()
    limits = FloodLimits(clock=clock)
    assert limits.check("sendMessage", {"chat_id": 7}) is None
    assert limits.check("sendMessage", {"chat_id": 7}) == 1
    assert limits.check("sendMessage", {"chat_id": 8}) is None  # another chat is not held up
    clock.now += 1.0
    assert limits.check("sendMessage", {"chat_id": 7}) is None
    assert (limits.accepted, limits.refused) == (3, 1)
    assert limits.refused_by == {"chat": 1}


def test_thirty_per_second_overall_in_any_sliding_second() -> None:
    clock = Ticks()
    limits = FloodLimits(clock=clock)
    for chat in range(30):
        clock.now += 0.01
        assert limits.check("sendMessage", {"chat_id": chat}) is None
    assert limits.check("copyMessage", {"chat_id": 99}) == 1
    clock.now += 0.7  # 0.99 s after the first: still thirty in the last second
    assert limits.check("sendPhoto", {"chat_id": 99}) == 1
    assert limits.refused_by == {"overall": 2}
    clock.now += 0.02  # the first has left the window
    assert limits.check("sendPhoto", {"chat_id": 99}) is None


def test_twenty_per_minute_to_a_group_and_a_wait_of_whole_seconds() -> None:
    clock = Ticks()
    limits = FloodLimits(clock=clock)
    for _ in range(20):
        assert limits.check("sendMessage", {"chat_id": -100123}) is None
        clock.now += 1.5
    assert limits.check("sendMessage", {"chat_id": -100123}) == 30  # 60 - 20 * 1.5 s
    clock.now += 30.0
    assert limits.check("sendMessage", {"chat_id": -100123}) is None


def test_only_sending_methods_count() -> None:
    limits = FloodLimits(per_chat=Rate(1, 1.0), clock=Ticks())
    for _ in range(5):
        assert limits.check("editMessageText", {"chat_id": 7}) is None
        assert limits.check("answerCallbackQuery", {"callback_query_id": "1"}) is None
    assert limits.check("sendMessage", {"chat_id": 7}) is None
    assert limits.accepted == 1


async def test_the_server_answers_429_past_the_limits_only_when_asked() -> None:
    async with FakeBotAPI(limits=FloodLimits(per_chat=Rate(1, 60.0))) as api:
        bot = api.make_bot()
        try:
            await bot.send_message(1001, "first")
            with pytest.raises(TelegramRetryAfter) as raised:
                await bot.send_message(1001, "second")
            await bot.send_message(1002, "to another chat")
        finally:
            await bot.session.close()
    assert 59 <= raised.value.retry_after <= 60
    assert [call.status for call in api.calls("sendMessage")] == [200, 429, 200]
    assert api.limits is not None
    assert (api.limits.accepted, api.limits.refused) == (2, 1)


async def test_without_limits_the_server_lets_every_send_through(fake_bot: Bot) -> None:
    for _ in range(40):
        await fake_bot.send_message(1001, "催办")
