"""The last line of defence: an unexpected error still gets the user an answer."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiogram import Bot, Router
from aiogram.types import ErrorEvent

from bot.leases import LEASE
from bot.outbox import send_queued
from dialogs.buyer import locale_for
from dialogs.context import UserCtx
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
    try:
        # Keyed by the update: a handler that fails on every retry apologises once.
        async with deps.uow() as uow:
            # In the language the user chose with /language, as every other answer is.
            locale = await locale_for(uow, UserCtx(user.id, user.language_code))
            apology = Reply(key="bot.error.internal").to_payload(locale)
            key = f"error:{update.update_id}"
            now = deps.clock.now()
            row = await uow.outbox.add_claimed(chat_id, apology, now, key, deps.worker_id, LEASE)
            await uow.commit()
    except Exception:
        log.exception("update %s: the apology could not be queued", update.update_id)
        return
    if row is not None:
        await send_queued(deps, bot, [row])
