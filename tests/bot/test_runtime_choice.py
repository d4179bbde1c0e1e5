"""BOT_RUNTIME: the bot starts on the library it names and says which, with its version."""

from __future__ import annotations

import asyncio
import logging
from importlib.metadata import version
from pathlib import Path

import pytest

from bot.runner import run_bot
from bot.transport.runtimes import RUNTIMES, Runtime
from sandbox.botapi import FakeBotAPI
from tests.bot.harness import offline_settings

pytestmark = pytest.mark.backend_independent

PACKAGES = {"aiogram": "aiogram", "ptb": "python-telegram-bot"}


@pytest.mark.parametrize("runtime", RUNTIMES)
async def test_the_bot_starts_on_the_chosen_runtime_and_logs_it_with_its_version(
    tmp_path: Path, fake_api: FakeBotAPI, caplog: pytest.LogCaptureFixture, runtime: Runtime
) -> None:
    settings = offline_settings(fake_api, tmp_path, bot_runtime=runtime)
    stop = asyncio.Event()
    stop.set()  # start up, then stop at once
    with caplog.at_level(logging.INFO):  # every logger, as LOG_LEVEL=INFO sets them
        await asyncio.wait_for(run_bot(settings, stop=stop), 30)
    assert f"runtime {runtime} {version(PACKAGES[runtime])}" in caplog.text
    assert f"runtime {runtime} " + ("22." if runtime == "ptb" else "3.") in caplog.text
    # It got as far as Telegram through that runtime: it knew itself and left webhook mode.
    assert [c.method for c in fake_api.calls("getMe")] == ["getMe"]
    assert fake_api.calls("deleteWebhook")
    # No request URL reached the log: each holds the bot's token (httpx logs them at INFO).
    assert fake_api.token not in caplog.text
