"""Drives the real bot like a user, over HTTP against the fake Bot API server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest import mock

from bot.app import build_bot, build_deps
from bot.config import Settings
from bot.deps import Deps
from bot.evidence import EvidenceDownloader
from bot.transport.port import BotPort
from bot.turns import TurnRunner
from cases.clock import Clock, ManualClock
from cases.model import Order
from locales import Translator
from sandbox.botapi import FakeBotAPI, FakeUser, SentMessage
from tests.dbs import fresh_database_url

_texts_checked = False  # whether a bot of this test process has checked every text


def build_test_deps(settings: Settings, clock: Clock) -> Deps:
    """`build_deps` as the bot starts, but its start-up check of every text (0.2-0.3 s) runs
    for the first bot of the test process only.

    The texts are read once per process (`load_texts` is cached), so every later check would
    parse the very same sources again; each bot still compiles every text it renders.
    """
    global _texts_checked
    if _texts_checked:
        with mock.patch.object(Translator, "check_all", return_value=0):
            return build_deps(settings, clock)
    deps = build_deps(settings, clock)
    _texts_checked = True
    return deps


def offline_settings(api: FakeBotAPI, tmp_path: Path, **overrides: Any) -> Settings:
    """Settings for a whole bot run in the test process against `api`: a short long poll, no
    staff chat, its files under `tmp_path`."""
    values: dict[str, Any] = {
        "bot_token": api.token,
        "telegram_api_url": api.base_url,
        "data_dir": tmp_path,
        "evidence_dir": tmp_path / "evidence",
        "polling_timeout": 1,
        "staff_chat_id": "off",
    }
    return Settings(_env_file=None, **{**values, **overrides})  # type: ignore[call-arg]


@dataclass
class BotHarness:
    api: FakeBotAPI
    # The production port on the BOT_RUNTIME the settings name (aiogram unless told), its
    # library's bot at `bot.bot`.
    bot: BotPort
    turns: TurnRunner
    deps: Deps
    clock: ManualClock

    async def feed(self, update: dict[str, Any]) -> None:
        """Hands one update to the turn runner, as the inbox would, and waits for its handling."""
        # One sequence with the fake server's builders: ids from two counters would collide and
        # the bot would rightly drop the second update as already processed.
        update.setdefault("update_id", self.api.state.next_update_id())
        await self.turns.feed(update)

    def user(self, user_id: int = 1001, language_code: str = "zh-hans", **kw: Any) -> Person:
        return Person(self, self.api.user(id=user_id, language_code=language_code, **kw))

    async def add_orders(self, *orders: Order) -> None:
        async with self.deps.uow() as uow:
            for order in orders:
                await uow.orders.upsert(order)
            await uow.commit()

    async def download_evidence(self) -> int:
        return await EvidenceDownloader(self.deps, self.bot, "test-worker").run_once()


@dataclass
class Person:
    """A Telegram user of the harness: every action is one update through the bot."""

    harness: BotHarness
    fake: FakeUser

    @property
    def id(self) -> int:
        return self.fake.id

    async def send(self, text: str) -> None:
        if text.startswith("/"):
            command, _, args = text[1:].partition(" ")
            await self.harness.feed(self.fake.build_command(command, args or None))
        else:
            await self.harness.feed(self.fake.build_text(text))

    async def click(self, button: str) -> None:
        await self.harness.feed(self.fake.build_click(button))

    async def photo(self, content: bytes, media_group_id: str | None = None) -> None:
        await self.harness.feed(self.fake.build_photo(content, media_group_id=media_group_id))

    async def document(self, content: bytes, file_name: str, mime_type: str) -> None:
        await self.harness.feed(
            self.fake.build_document(content, file_name=file_name, mime_type=mime_type)
        )

    async def feed(self, update: dict[str, Any]) -> None:
        await self.harness.feed(update)

    def messages(self) -> list[SentMessage]:
        """The messages the bot sent to this chat, oldest first."""
        sent = self.harness.api.sent_messages(self.fake.chat_id)
        return [message for message in sent if message.method == "sendMessage"]

    def texts(self) -> list[str]:
        """What the user reads in this chat, oldest first."""
        return [message.plain_text for message in self.messages()]

    def last_text(self) -> str:
        return self.texts()[-1]

    def last_buttons(self) -> list[str]:
        with_buttons = [m for m in self.messages() if m.buttons]
        return with_buttons[-1].buttons if with_buttons else []


@asynccontextmanager
async def bot_harness(
    tmp_path: Path, api: FakeBotAPI, now: datetime, **settings: Any
) -> AsyncIterator[BotHarness]:
    async with (
        fresh_database_url(tmp_path) as database_url,
        _harness_on(database_url, tmp_path, api, now, **settings) as harness,
    ):
        yield harness


@asynccontextmanager
async def _harness_on(
    database_url: str, tmp_path: Path, api: FakeBotAPI, now: datetime, **settings: Any
) -> AsyncIterator[BotHarness]:
    config = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=api.token,
        telegram_api_url=api.base_url,
        database_url=database_url,
        evidence_dir=tmp_path / "evidence",
        # The test's own folder, so nothing a bot writes under DATA_DIR (the audit heads file)
        # outlives the test or reaches the next one.
        **{"data_dir": tmp_path / "data", **settings},
    )
    clock = ManualClock(now)
    deps = build_test_deps(config, clock)
    bot = build_bot(config)  # the production wiring: API URL, parse mode, runtime
    try:
        yield BotHarness(api, bot, TurnRunner(deps, bot), deps, clock)
    finally:
        await bot.close()
        await deps.close()
