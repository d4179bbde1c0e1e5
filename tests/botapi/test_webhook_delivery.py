"""The local Bot API posts updates to a webhook as Telegram does: in order, with the secret."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from aiohttp import web

from sandbox.botapi import FakeBotAPI
from sandbox.botapi.webhook import SECRET_HEADER, routed_url

PUBLIC_URL = "https://bot.example.com/tg/hook"
SECRET = "webhook-secret_42"


class Receiver:
    """A bot's webhook endpoint on loopback; answers 500 while `failing`, else 200."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str | None, dict[str, Any]]] = []
        self.failing = False
        self.arrived = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        status = 500 if self.failing else 200
        self.received.append(
            (request.path, request.headers.get(SECRET_HEADER), await request.json())
        )
        self.arrived.set()
        return web.Response(status=status)

    async def wait(self, count: int, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    receiving = Receiver()
    app = web.Application()
    app.router.add_post("/tg/hook", receiving.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield receiving, f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
def quick_retries(fake_api: FakeBotAPI) -> FakeBotAPI:
    fake_api.webhook.retry_delay = 0.05
    return fake_api


async def test_updates_are_posted_in_order_with_the_secret_and_forgotten_once_taken(
    quick_retries: FakeBotAPI, fake_bot: Bot, receiver: tuple[Receiver, str]
) -> None:
    api, (receiving, local) = quick_retries, receiver
    await fake_bot.set_webhook(PUBLIC_URL, secret_token=SECRET)
    api.route_webhook(local)
    buyer = api.user(id=1001)
    await buyer.send_command("start")
    await buyer.send_text("你好")

    await receiving.wait(2)

    assert [(path, secret) for path, secret, _ in receiving.received] == [
        ("/tg/hook", SECRET),
        ("/tg/hook", SECRET),
    ]
    texts = [update["message"]["text"] for _, _, update in receiving.received]
    assert texts == ["/start", "你好"]
    ids = [update["update_id"] for _, _, update in receiving.received]
    assert ids == sorted(ids)
    info = await fake_bot.get_webhook_info()
    assert info.url == PUBLIC_URL
    assert info.pending_update_count == 0


async def test_a_failed_post_is_kept_reported_and_tried_again(
    quick_retries: FakeBotAPI, fake_bot: Bot, receiver: tuple[Receiver, str]
) -> None:
    api, (receiving, local) = quick_retries, receiver
    receiving.failing = True
    await fake_bot.set_webhook(PUBLIC_URL, secret_token=SECRET)
    await api.user(id=1001).send_text("一次")

    await asyncio.sleep(0.2)
    assert receiving.received == []  # no route yet: nothing is posted anywhere
    assert (await fake_bot.get_webhook_info()).pending_update_count == 1

    api.route_webhook(local)
    await receiving.wait(2)
    info = await fake_bot.get_webhook_info()
    assert info.pending_update_count == 1
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    assert info.last_error_date is not None

    receiving.failing = False
    for _ in range(100):
        if (await fake_bot.get_webhook_info()).pending_update_count == 0:
            break
        await asyncio.sleep(0.02)
    info = await fake_bot.get_webhook_info()
    assert info.pending_update_count == 0
    assert info.last_error_message is None
    texts = {update["message"]["text"] for _, _, update in receiving.received}
    assert texts == {"一次"}
    assert len(receiving.received) >= 3


async def test_after_delete_webhook_nothing_is_posted_and_polling_gets_the_updates(
    quick_retries: FakeBotAPI, fake_bot: Bot, receiver: tuple[Receiver, str]
) -> None:
    api, (receiving, local) = quick_retries, receiver
    await fake_bot.set_webhook(PUBLIC_URL)
    api.route_webhook(local)
    await fake_bot.delete_webhook()
    await api.user(id=1001).send_text("轮询")

    updates = await fake_bot.get_updates(timeout=0)

    assert [u.message.text for u in updates if u.message] == ["轮询"]
    assert receiving.received == []


def test_routes_keep_the_path_and_query_and_stay_on_loopback(fake_api: FakeBotAPI) -> None:
    assert routed_url(f"{PUBLIC_URL}?a=1", "http://127.0.0.1:9/") == "http://127.0.0.1:9/tg/hook?a=1"
    assert routed_url("https://bot.example.com", "http://127.0.0.1:9") == "http://127.0.0.1:9/"
    with pytest.raises(ValueError, match="loopback only"):
        fake_api.route_webhook("http://10.0.0.5:8080")
