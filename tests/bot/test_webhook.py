"""Webhook mode: only Telegram (the secret token) gets in, and 200 means the update is stored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.inbox import InboxWorker
from bot.intake import SECRET_HEADER, build_webhook_app
from sandbox.botapi import FakeBotAPI
from tests.bot.harness import BotHarness, bot_harness

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
SECRET = "s3cret-token_0123456789"
PATH = "/tg/hook"


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    async with bot_harness(tmp_path, fake_api, NOW) as running:
        yield running


@pytest.fixture
async def client(harness: BotHarness) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    worker = InboxWorker(harness.deps, harness.turns, "w1")
    app = build_webhook_app(harness.deps, worker, PATH, SECRET)
    async with TestClient(TestServer(app)) as running:
        yield running


async def backlog(harness: BotHarness) -> int:
    async with harness.deps.uow() as uow:
        return await uow.inbox.backlog()


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: "guess"}], ids=["none", "wrong"])
async def test_a_post_without_the_right_secret_is_refused_and_not_stored(
    harness: BotHarness, client: TestClient[web.Request, web.Application], headers: dict[str, str]
) -> None:
    update = harness.api.user(id=2001).build_text("hello")
    response = await client.post(PATH, json=update, headers=headers)
    assert response.status == 403
    assert await backlog(harness) == 0


async def test_a_post_with_the_secret_is_stored_once_however_often_it_comes(
    harness: BotHarness, client: TestClient[web.Request, web.Application]
) -> None:
    update = harness.api.user(id=2001).build_text("hello")
    for _ in range(2):
        response = await client.post(PATH, json=update, headers={SECRET_HEADER: SECRET})
        assert response.status == 200
    assert await backlog(harness) == 1
    worker = InboxWorker(harness.deps, harness.turns, "w1")
    assert await worker.run_until_idle() == 1
    assert len(harness.api.sent_messages(2001)) == 1


async def test_a_malformed_update_is_refused(
    harness: BotHarness, client: TestClient[web.Request, web.Application]
) -> None:
    response = await client.post(PATH, json=[1, 2], headers={SECRET_HEADER: SECRET})
    assert response.status == 400
    response = await client.post(PATH, json={"no": "id"}, headers={SECRET_HEADER: SECRET})
    assert response.status == 400
    assert await backlog(harness) == 0


async def test_healthz_reports_the_database_and_the_inbox_backlog(
    harness: BotHarness, client: TestClient[web.Request, web.Application]
) -> None:
    update = harness.api.user(id=2001).build_text("hello")
    await client.post(PATH, json=update, headers={SECRET_HEADER: SECRET})
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok", "database": "ok", "inbox_backlog": 1}


def test_webhook_mode_needs_https_and_a_well_formed_secret() -> None:
    def settings(**values: object) -> Settings:
        return Settings(_env_file=None, **values)  # type: ignore[arg-type]

    with pytest.raises(ValueError, match="https"):
        settings(webhook_url="http://bot.example.com/hook", webhook_secret=SECRET)
    with pytest.raises(ValueError, match="WEBHOOK_SECRET"):
        settings(webhook_url="https://bot.example.com/hook")
    with pytest.raises(ValueError, match="WEBHOOK_SECRET"):
        settings(webhook_url="https://bot.example.com/hook", webhook_secret="not allowed!")
    good = settings(webhook_url="https://bot.example.com/tg/hook", webhook_secret=SECRET)
    assert good.webhook_path == "/tg/hook"
