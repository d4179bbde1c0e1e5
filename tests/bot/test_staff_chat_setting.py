"""STAFF_CHAT_ID: the bot does not start without it, unless it is turned off on purpose."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.config import Settings
from bot.runner import run_bot
from sandbox.botapi import FakeBotAPI
from tests.bot.harness import offline_settings
from tests.bot.test_cli_merchants import in_process

pytestmark = pytest.mark.backend_independent


@pytest.mark.parametrize(("value", "chat"), [("off", None), (" OFF ", None), ("-1001", -1001)])
def test_staff_chat_id_is_a_group_id_or_off(
    monkeypatch: pytest.MonkeyPatch, value: str, chat: int | None
) -> None:
    monkeypatch.setenv("STAFF_CHAT_ID", value)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.staff_chat == chat
    assert settings.staff_chat_id is not None  # set: off is a choice, not a gap


async def test_run_without_staff_chat_id_refuses_and_says_how_to_find_it(
    tmp_path: Path,
    fake_api: FakeBotAPI,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("STAFF_CHAT_ID", raising=False)
    env = {"BOT_TOKEN": fake_api.token, "TELEGRAM_API_URL": fake_api.base_url}
    assert await in_process(monkeypatch, tmp_path, env, "run") == 2
    error = capsys.readouterr().err
    assert "STAFF_CHAT_ID is not set" in error
    assert "/chatid" in error
    assert "STAFF_CHAT_ID=off" in error
    assert fake_api.calls() == []  # refused before anything was asked of Telegram
    assert not (tmp_path / "data" / "complaint_bot.db").exists()


async def test_with_the_staff_chat_off_the_bot_starts_and_logs_that_staff_hear_nothing(
    tmp_path: Path, fake_api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    settings = offline_settings(fake_api, tmp_path)
    stop = asyncio.Event()
    stop.set()  # start up, then stop at once
    with caplog.at_level(logging.WARNING, logger="bot.runner"):
        await asyncio.wait_for(run_bot(settings, stop=stop), 30)
    assert "STAFF_CHAT_ID=off" in caplog.text
    assert "not delivered" in caplog.text
    assert "DEEP_LINK_SECRET is not set" in caplog.text  # links are taken unsigned
