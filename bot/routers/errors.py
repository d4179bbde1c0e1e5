"""The last line of defence: an unexpected error still gets the user an answer."""

from __future__ import annotations

import logging
from contextlib import suppress
from typing import TYPE_CHECKING

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent

from dialogs.types import Reply

if TYPE_CHECKING:
    from bot.app import Deps

log = logging.getLogger(__name__)


def build_error_router() -> Router:
    router = Router(name="errors")
    router.errors.register(on_error)
    return router


async def on_error(event: ErrorEvent, bot: Bot, deps: Deps) -> None:
    """Logs the failure and apologises to the user; their saved draft is untouched."""
    log.exception("update %s failed", event.update.update_id, exc_info=event.exception)
    update = event.update
    user = None
    chat_id = None
    if update.message is not None:
        user, chat_id = update.message.from_user, update.message.chat.id
    elif update.callback_query is not None:
        user = update.callback_query.from_user
        message = update.callback_query.message
        chat_id = message.chat.id if message is not None else user.id
    if user is None or chat_id is None or chat_id < 0:
        return
    locale = deps.settings.default_locale
    if user.language_code and not user.language_code.startswith("zh"):
        locale = "en"
    with suppress(TelegramAPIError):
        await deps.sender.send(bot, chat_id, locale, [Reply(key="bot.error.internal")])
