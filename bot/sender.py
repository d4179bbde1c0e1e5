"""Sends rendered replies to a chat, in order, within Telegram's answers to overload."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from aiogram import Bot
from aiogram.exceptions import (
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from bot.render import render_reply
from dialogs.types import Reply
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
            if not await self._send_one(bot, chat_id, message.text, message.keyboard):
                return

    async def _send_one(self, bot: Bot, chat_id: int, text: str, keyboard: object) -> bool:
        delay = 0.5
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                await bot.send_message(chat_id, text, reply_markup=keyboard)  # type: ignore[arg-type]
            except TelegramRetryAfter as exc:
                # Telegram says exactly how long to wait; asking earlier only extends the ban.
                await asyncio.sleep(exc.retry_after)
            except TelegramForbiddenError:
                log.info("chat %s blocked the bot; reply dropped", chat_id)
                return False
            except (TelegramNetworkError, TelegramServerError) as exc:
                log.warning("sending to %s failed (attempt %s): %s", chat_id, attempt, exc)
                await asyncio.sleep(delay)
                delay *= 2
            else:
                return True
        log.error("gave up sending a reply to chat %s", chat_id)
        return True
