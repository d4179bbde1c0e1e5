"""Several sender processes side by side, on SQLite and on PostgreSQL: each notice goes out once."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.app import build_bot
from bot.config import Settings
from bot.deps import Deps
from cases.clock import ManualClock
from sandbox.botapi import FakeBotAPI
from storage.migrate import upgrade
from tests.bot.harness import build_test_deps
from tests.bot.outbox_support import (
    T0,
    VirtualTime,
    make_sender,
    numbered,
    outbox_rows,
    queue,
    record_sends,
)
from tests.storage.conftest import DEFAULT_POSTGRES_URL, PostgresServer

pytestmark = pytest.mark.backend_independent

CHATS = [1001, 1002, 1003, -100_500, -100_501]
PER_CHAT = 6


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database of its own, on each backend."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
        asyncio.run(upgrade(url))
        yield url
        return
    server = PostgresServer(os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    try:
        url = asyncio.run(server.create("outbox_workers"))
    except Exception as exc:  # any driver or network error means "no usable server"
        pytest.skip(f"PostgreSQL is unreachable ({type(exc).__name__}: {exc})")
    try:
        asyncio.run(upgrade(url))
        yield url
    finally:
        asyncio.run(server.drop(url))


@pytest.fixture
async def deps(database_url: str, fake_api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[Deps]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=fake_api.token,
        telegram_api_url=fake_api.base_url,
        database_url=database_url,
        evidence_dir=tmp_path / "evidence",
    )
    built = build_test_deps(settings, ManualClock(T0))
    try:
        yield built
    finally:
        await built.close()


async def test_two_workers_deliver_every_notice_exactly_once_and_in_order(
    deps: Deps, fake_api: FakeBotAPI
) -> None:
    for n in range(PER_CHAT):
        for chat_id in CHATS:
            await queue(deps, chat_id, numbered(n))
    assert isinstance(deps.clock, ManualClock)
    time = VirtualTime(deps.clock)
    bots = [build_bot(deps.settings) for _ in range(2)]
    try:
        sends = [record_sends(bot, time) for bot in bots]
        # Each worker has its own limiter, as two processes would.
        workers = [make_sender(deps, bot, f"w{i}", time) for i, bot in enumerate(bots)]
        for _ in range(100):
            claimed = await asyncio.gather(*(worker.run_once(limit=4) for worker in workers))
            if sum(claimed) == 0:
                if all(row.sent_at is not None for row in await outbox_rows(deps.engine)):
                    break
                await time.sleep(1.0)
    finally:
        for bot in bots:
            await bot.close()
    assert sum(len(s) for s in sends) == len(CHATS) * PER_CHAT
    assert all(sends), "both workers took part"
    for chat_id in CHATS:
        texts = [message.plain_text for message in fake_api.sent_messages(chat_id)]
        assert [f"TS{n:05d}" in text for n, text in enumerate(texts)] == [True] * PER_CHAT
