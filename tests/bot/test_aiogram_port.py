"""The aiogram adapter keeps its promise of the port: every Telegram answer becomes one neutral
outcome, against the local Bot API server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.transport.aiogram_bot import AiogramBot, build_aiogram_bot
from bot.transport.port import (
    Blocked,
    BotApiError,
    Failed,
    KeyButton,
    Refused,
    RetryAfter,
    Sent,
)
from sandbox.botapi import FakeBotAPI

pytestmark = pytest.mark.backend_independent

KEYBOARD = ((KeyButton("OK", "b:ok"),),)


@pytest.fixture
async def port(fake_api: FakeBotAPI) -> AsyncIterator[AiogramBot]:
    bot = build_aiogram_bot(fake_api.token, fake_api.base_url)
    try:
        yield bot
    finally:
        await bot.close()


async def test_a_sent_text_comes_back_with_its_message_id_and_can_be_edited(
    port: AiogramBot, fake_api: FakeBotAPI
) -> None:
    user = fake_api.user(id=2001)
    sent = await port.send_text(user.chat_id, "<b>hello</b>", KEYBOARD, request_timeout=5)
    assert isinstance(sent, Sent)
    assert sent.message_id > 0
    assert await port.clear_markup(user.chat_id, sent.message_id) == Sent(sent.message_id)
    assert await port.edit_text(user.chat_id, sent.message_id, "bye") == Sent(sent.message_id)
    assert [m.plain_text for m in fake_api.sent_messages(user.chat_id)][-1] == "bye"


async def test_telegrams_refusals_become_neutral_outcomes(
    port: AiogramBot, fake_api: FakeBotAPI
) -> None:
    user = fake_api.user(id=2001)
    fake_api.fail_next("sendMessage", 429, retry_after=7)
    assert await port.send_text(user.chat_id, "a", request_timeout=5) == RetryAfter(7.0)
    fake_api.fail_next("sendMessage", 400, description="Bad Request: message is too long")
    refused = await port.send_text(user.chat_id, "b", request_timeout=5)
    assert refused == Refused("Bad Request: message is too long")
    fake_api.fail_next("sendMessage", 502)
    assert isinstance(await port.send_text(user.chat_id, "c", request_timeout=5), Failed)
    fake_api.block(user.chat_id)
    blocked = await port.send_text(user.chat_id, "d", request_timeout=5)
    assert blocked == Blocked("Forbidden: bot was blocked by the user")


async def test_calls_that_return_data_raise_the_failure(
    port: AiogramBot, fake_api: FakeBotAPI
) -> None:
    fake_api.fail_next("getFile", 400, description="Bad Request: file is too big")
    with pytest.raises(BotApiError) as raised:
        await port.file_info("no-such-file")
    assert raised.value.failure == Refused("Bad Request: file is too big")
