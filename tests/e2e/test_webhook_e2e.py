"""The real bot process in webhook mode: Telegram's posts reach its own HTTP server on loopback."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.transport.runtimes import Runtime
from sandbox.botapi import FakeBotAPI
from storage.migrate import upgrade
from tests.processes import STARTUP_TIMEOUT, bot_env

pytestmark = [pytest.mark.e2e, pytest.mark.every_runtime]

SECRET = "e2e-webhook-secret_0123456789"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
PUBLIC_URL = "https://bot.example.com/tg/hook"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def webhook_bot(
    tmp_path: Path, fake_api: FakeBotAPI, fresh_db_url: str, bot_runtime: Runtime
) -> AsyncIterator[str]:
    """Starts `python -m bot run` in webhook mode on `bot_runtime`; yields its local base URL;
    stops it."""
    await upgrade(fresh_db_url)
    port = free_port()
    env = bot_env(
        fake_api, bot_runtime, fresh_db_url, tmp_path,
        WEBHOOK_URL=PUBLIC_URL, WEBHOOK_SECRET=SECRET,
        WEBHOOK_HOST="127.0.0.1", WEBHOOK_PORT=str(port),
    )
    log_path = tmp_path / "bot.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env, stdout=log, stderr=log
        )
        try:
            await fake_api.wait_for_call("setWebhook", timeout=STARTUP_TIMEOUT)
            yield f"http://127.0.0.1:{port}"
            # A graceful stop: SIGTERM ends the process cleanly and promptly.
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), timeout=15) == 0
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    output = log_path.read_text(errors="replace")
    assert "Traceback" not in output, output


async def test_telegram_reaches_the_bot_through_its_webhook_with_the_secret(
    fake_api: FakeBotAPI, webhook_bot: str
) -> None:
    registered = fake_api.calls("setWebhook")[-1].params
    assert registered["url"] == PUBLIC_URL
    assert registered["secret_token"] == SECRET
    buyer = fake_api.user(id=5005, first_name="Buyer", language_code="en")
    async with aiohttp.ClientSession() as http:
        refused = await http.post(f"{webhook_bot}/tg/hook", json=buyer.build_command("start"))
        assert refused.status == 403
        update = buyer.build_command("start")
        accepted = await http.post(f"{webhook_bot}/tg/hook", json=update, headers={HEADER: SECRET})
        assert accepted.status == 200
        await fake_api.wait_for_call("sendMessage", chat_id=buyer.chat_id, timeout=10)
        health = await http.get(f"{webhook_bot}/healthz")
        assert health.status == 200
        assert (await health.json())["database"] == "ok"
    assert len(fake_api.sent_messages(buyer.chat_id)) == 1


async def test_updates_the_local_bot_api_posts_to_the_webhook_are_answered(
    fake_api: FakeBotAPI, webhook_bot: str
) -> None:
    fake_api.route_webhook(webhook_bot)  # what the TLS proxy in front of the bot would do
    buyer = fake_api.user(id=5006, first_name="Buyer", language_code="en")
    await buyer.send_command("start")

    await fake_api.wait_for_call("sendMessage", chat_id=buyer.chat_id, timeout=10)
    assert [u["message"]["text"] for u in fake_api.webhook.posted] == ["/start"]
    info = fake_api.updates.get_webhook_info(fake_api.state, {}, {})
    assert info["pending_update_count"] == 0
    assert "last_error_message" not in info
