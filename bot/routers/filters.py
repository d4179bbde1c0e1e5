"""Which chats a router takes updates from, as coroutines.

aiogram runs a filter that is a plain callable — a magic filter such as `F.chat.type == …` too —
in a worker thread (`asyncio.to_thread`), a hand-off per check, and every update passes the
staff, groups and buyer routers' checks in turn. A coroutine is awaited in place.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram.types import CallbackQuery, Chat, ChatMemberUpdated, Message

Routed = Message | CallbackQuery | ChatMemberUpdated
ChatFilter = Callable[[Routed], Awaitable[bool]]


def _chat_of(event: Routed) -> Chat | None:
    if isinstance(event, CallbackQuery):
        return event.message.chat if event.message is not None else None
    return event.chat


def in_chat_types(*types: str) -> ChatFilter:
    """Updates from chats of these types (private, group, supergroup …)."""
    allowed = frozenset(types)

    async def check(event: Routed) -> bool:
        chat = _chat_of(event)
        return chat is not None and chat.type in allowed

    return check


def in_chat(chat_id: int) -> ChatFilter:
    """Updates from the chat `chat_id`."""

    async def check(event: Routed) -> bool:
        chat = _chat_of(event)
        return chat is not None and chat.id == chat_id

    return check
