"""`run` delivers the outbox: the sender is one of the runner's background loops."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from bot.runner import run_polling
from sandbox.botapi import FakeBotAPI
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.uow import SqlUnitOfWork
from tests.bot.harness import offline_settings
from tests.bot.outbox_support import T0, numbered

pytestmark = pytest.mark.backend_independent

BUYER = 1001


async def test_the_running_bot_delivers_notices_queued_before_and_while_it_runs(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    await upgrade(database_url)
    engine = make_engine(database_url)
    uow = lambda: SqlUnitOfWork(make_session_factory(engine))  # noqa: E731

    async def queue(n: int) -> None:
        async with uow() as unit:
            await unit.outbox.add(BUYER, numbered(n).to_payload("en"), T0)
            await unit.commit()

    settings = offline_settings(fake_api, tmp_path, database_url=database_url)
    await queue(1)
    runner = asyncio.create_task(run_polling(settings))
    try:
        await fake_api.wait_for_call("sendMessage", chat_id=BUYER, timeout=10)
        await queue(2)
        await fake_api.wait_for(lambda _: len(fake_api.sent_messages(BUYER)) == 2, timeout=10)
    finally:
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
        await engine.dispose()
    first, second = (m.plain_text for m in fake_api.sent_messages(BUYER))
    assert "TS00001" in first
    assert "TS00002" in second
