"""Sends rendered replies to a chat, in order, within Telegram's answers to overload."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup

from bot.render import render_reply
from dialogs.types import FileReply, Reply
from locales import Translator

log = logging.getLogger(__name__)

# Direct answers to a user who is waiting are retried a few times only; durable delivery of
# pushed notifications belongs to the outbox sender.
_ATTEMPTS = 4


class ReplySender:
    def __init__(self, translator: Translator) -> None:
        self.translator = translator

    async def send(self, bot: Bot, chat_id: int, locale: str, replies: Sequence[Reply]) -> None:
        """Sends each reply as its own message, stopping if the chat blocked the bot."""
        for reply in replies:
            message = render_reply(self.translator, locale, reply)
            is_file = isinstance(reply, FileReply)
            if isinstance(reply, FileReply):
                send = _file_sender(bot, chat_id, reply, message.text)
            else:
                send = _text_sender(bot, chat_id, message.text, message.keyboard)
            if not await self._send_one(chat_id, send, is_file=is_file):
                return

    async def _send_one(
        self, chat_id: int, send: Callable[[], Awaitable[object]], *, is_file: bool = False
    ) -> bool:
        delay = 0.5
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                await send()
            except TelegramRetryAfter as exc:
                # Telegram says exactly how long to wait; asking earlier only extends the ban.
                await asyncio.sleep(exc.retry_after)
            except TelegramForbiddenError:
                log.info("chat %s blocked the bot; reply dropped", chat_id)
                return False
            except TelegramBadRequest as exc:
                if not is_file:
                    raise
                # A file id Telegram no longer knows fails the same way every time: skip the
                # file and send the rest.
                log.warning("chat %s: a file was not sent: %s", chat_id, exc.message)
                return True
            except (TelegramNetworkError, TelegramServerError) as exc:
                log.warning("sending to %s failed (attempt %s): %s", chat_id, attempt, exc)
                await asyncio.sleep(delay)
                delay *= 2
            else:
                return True
        log.error("gave up sending a reply to chat %s", chat_id)
        return True


def _text_sender(
    bot: Bot, chat_id: int, text: str, keyboard: InlineKeyboardMarkup | None
) -> Callable[[], Awaitable[object]]:
    return lambda: bot.send_message(chat_id, text, reply_markup=keyboard)


def _file_sender(
    bot: Bot, chat_id: int, reply: FileReply, caption: str
) -> Callable[[], Awaitable[object]]:
    """Re-sends a file by its Telegram file id, as the kind it was received as."""
    if reply.file_kind == "photo":
        return lambda: bot.send_photo(chat_id, reply.file_id, caption=caption)
    if reply.file_kind == "video":
        return lambda: bot.send_video(chat_id, reply.file_id, caption=caption)
    return lambda: bot.send_document(chat_id, reply.file_id, caption=caption)
