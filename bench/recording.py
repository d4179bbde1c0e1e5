"""Telegram answered in process: the inbound benchmark's stand-in, for each runtime.

`RecordingSession` is an aiogram session, `RecordingRequest` (bench/recording_ptb.py) a
python-telegram-bot request; both keep their library's serialising and parsing: every request
is serialised as the HTTP client would, recorded, and answered with a plausible result (message
ids counting per chat) that the library then reads into its types, so the bot pays the same
client-side cost as against the network, minus the network.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from collections.abc import AsyncGenerator, Iterable, Mapping
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType

BOT_USER = {"id": 123, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}


class InProcessTelegram:
    """What both stand-ins share: the calls made, the updates waiting for getUpdates and their
    delivery times, and the answer to each method."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._message_ids: dict[str, itertools.count[int]] = {}
        self._pending: deque[dict[str, Any]] = deque()
        self._arrived = asyncio.Event()
        # update_id -> when it was handed to "Telegram" (perf_counter), for latencies.
        self.delivered_at: dict[int, float] = {}

    def deliver(self, updates: Iterable[Mapping[str, Any]]) -> None:
        """Makes updates available to getUpdates, as Telegram does when users write."""
        now = time.perf_counter()
        for update in updates:
            self.delivered_at[int(update["update_id"])] = now
            self._pending.append(dict(update))
        self._arrived.set()

    async def answer(self, method: str, params: dict[str, Any]) -> Any:
        """The result of `method`, as Telegram's JSON."""
        if method.lower() == "getupdates":
            return await self._get_updates(params)
        self.calls.append((method, params))
        return self._result(method, params)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Confirms updates below `offset`, waits up to `timeout` for news, returns up to 100."""
        offset = int(params.get("offset") or 0)
        while self._pending and int(self._pending[0]["update_id"]) < offset:
            self._pending.popleft()
        if not self._pending:
            self._arrived.clear()
            try:
                async with asyncio.timeout(float(params.get("timeout") or 0)):
                    await self._arrived.wait()
            except TimeoutError:
                return []
        limit = min(int(params.get("limit") or 100), 100)
        return list(itertools.islice(self._pending, limit))

    def sent(self, method: str = "sendMessage") -> int:
        return sum(1 for name, _ in self.calls if name == method)

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method.startswith("send") or method in ("copyMessage",):
            chat = str(params.get("chat_id"))
            counter = self._message_ids.setdefault(chat, itertools.count(1))
            chat_id = int(chat) if chat.lstrip("-").isdigit() else 0
            return {
                "message_id": next(counter),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "from": BOT_USER,
                "text": str(params.get("text") or params.get("caption") or ""),
            }
        return True


class RecordingSession(InProcessTelegram, BaseSession):
    """Records (method, params) and answers without HTTP; getUpdates long polls `deliver`ed ones."""

    def __init__(self) -> None:
        InProcessTelegram.__init__(self)
        BaseSession.__init__(self)

    async def close(self) -> None:
        """Nothing to close."""

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        files: dict[str, Any] = {}
        params = {
            key: self.prepare_value(value, bot=bot, files=files)
            for key, value in method.model_dump(warnings=False).items()
        }
        params = {key: value for key, value in params.items() if value}
        result = await self.answer(method.__api_method__, params)
        content = json.dumps({"ok": True, "result": result})
        response = self.check_response(bot, method, status_code=200, content=content)
        return response.result  # type: ignore[return-value]

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 (aiogram's signature)
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield b""
