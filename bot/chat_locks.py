"""Per-chat serialisation of updates.

Two quick messages from one buyer (an album, a double click) handled side by side would load
the same saved draft at once, and one would overwrite the other. Updates of one chat run one at
a time, in arrival order; different chats stay concurrent. With REDIS_URL (scale-out) this
becomes a lock shared by every process (bot/redis_limits.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol


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
