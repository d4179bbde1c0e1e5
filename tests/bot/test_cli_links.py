"""`complaint-bot links complain`: a signed link the bot takes, made as the platform would."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from cases.clock import SystemClock
from dialogs import deep_links
from tests.bot.test_cli_merchants import in_process

pytestmark = pytest.mark.backend_independent

SECRET = "platform-and-bot-share-this"
LINK = re.compile(r"https://t\.me/km_bot\?start=(?P<parameter>[A-Za-z0-9_-]{1,64})\s")


async def test_the_link_is_signed_for_the_order_and_expires_after_the_days(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"BOT_TOKEN": "", "DEEP_LINK_SECRET": SECRET}
    made = ("links", "complain", "KM202611200001", "--days", "2", "--bot-username", "km_bot")
    assert await in_process(monkeypatch, tmp_path, env, *made) == 0
    found = LINK.search(capsys.readouterr().out)
    assert found
    rest = found["parameter"].removeprefix(deep_links.PREFIX)
    now = SystemClock().now()
    key = SECRET.encode()
    assert deep_links.check(key, rest, now).order_no == "KM202611200001"
    assert deep_links.check(key, rest, now + timedelta(days=2, minutes=1)).expired


async def test_without_a_secret_or_with_an_order_a_link_cannot_carry_it_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    made = ("links", "complain", "KM1", "--bot-username", "km_bot")
    assert await in_process(monkeypatch, tmp_path, {"BOT_TOKEN": ""}, *made) == 2
    assert "DEEP_LINK_SECRET is not set" in capsys.readouterr().err
    env = {"BOT_TOKEN": "", "DEEP_LINK_SECRET": SECRET}
    bad = ("links", "complain", "KM 1", "--bot-username", "km_bot")
    assert await in_process(monkeypatch, tmp_path, env, *bad) == 2
    assert "cannot go into a Telegram link" in capsys.readouterr().err
