"""Per-chat serialisation of updates.

Polling hands each update to its own task, so two quick messages from one buyer (an album, a
double click) would otherwise load the same saved draft at once and one would overwrite the
other. Updates of one chat run one at a time, in arrival order; different chats stay concurrent.
With REDIS_URL (scale-out) this becomes a lock shared by every process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiogram import BaseMiddleware
from aiogram.dispatcher.middlewares.user_context import UserContextMiddleware
from aiogram.types import TelegramObject, Update


class PerChatLocks(Protocol):
    """Runs work for one chat at a time: `ChatLocks` here, `RedisChatLocks` across processes."""

    async def run(self, chat_id: int, work: Callable[[], Awaitable[Any]]) -> Any: ...


class ChatLocks:
    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    async def run(self, chat_id: int, work: Callable[[], Awaitable[Any]]) -> Any:
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        self._users[chat_id] = self._users.get(chat_id, 0) + 1
        try:
            async with lock:
                return await work()
        finally:
            self._users[chat_id] -= 1
            if self._users[chat_id] == 0:
                # Forget idle chats so the table does not grow with every user ever seen.
                del self._users[chat_id]
                del self._locks[chat_id]


class ChatLockMiddleware(BaseMiddleware):
    def __init__(self, locks: PerChatLocks | None = None) -> None:
        self.locks = locks or ChatLocks()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        context = UserContextMiddleware.resolve_event_context(event)
        chat_id = context.chat.id if context.chat else (context.user.id if context.user else None)
        if chat_id is None:
            return await handler(event, data)
        return await self.locks.run(chat_id, lambda: handler(event, data))
