"""pytest fixtures for the fake Bot API; loaded through `pytest_plugins` in tests/conftest.py."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot

from sandbox.botapi import FakeBotAPI

FAKE_TOKEN = "123:ABC"


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotAPI]:
    """A running fake Bot API; the test fails if the bot called a method the fake does not know."""
    async with FakeBotAPI(token=FAKE_TOKEN) as api:
        yield api
        api.assert_no_unexpected_calls()


@pytest.fixture
async def fake_bot(fake_api: FakeBotAPI) -> AsyncIterator[Bot]:
    """A real aiogram Bot talking to `fake_api`; its HTTP session is closed afterwards."""
    bot = fake_api.make_bot()
    try:
        yield bot
    finally:
        await bot.session.close()
