"""Runs each update under its chat's lock (bot/chat_locks.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.middlewares.user_context import UserContextMiddleware
from aiogram.types import TelegramObject, Update

from bot.chat_locks import ChatLocks, PerChatLocks


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
