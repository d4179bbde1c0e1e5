"""The last line of defence: an unexpected error still gets the user an answer."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiogram import Bot, Router
from aiogram.types import ErrorEvent

from bot.apology import apology_locale, apology_target
from bot.leases import LEASE
from bot.outbox import send_queued
from dialogs.types import Reply

if TYPE_CHECKING:
    from bot.deps import Deps

log = logging.getLogger(__name__)


def build_error_router() -> Router:
    router = Router(name="errors")
    router.errors.register(on_error)
    return router


async def on_error(event: ErrorEvent, bot: Bot, deps: Deps) -> None:
    """Logs the failure and apologises to the user; their saved draft is untouched."""
    log.exception("update %s failed", event.update.update_id, exc_info=event.exception)
    update = event.update
    target = apology_target(update)
    if target is None:
        return
    user, chat_id = target
    try:
        # Keyed by the update: a handler that fails on every retry apologises once.
        async with deps.uow() as uow:
            # In the language the user chose with /language, as every other answer is.
            apology = Reply(key="bot.error.internal").to_payload(await apology_locale(uow, user))
            key = f"error:{update.update_id}"
            now = deps.clock.now()
            row = await uow.outbox.add_claimed(chat_id, apology, now, key, deps.worker_id, LEASE)
            await uow.commit()
    except Exception:
        log.exception("update %s: the apology could not be queued", update.update_id)
        return
    if row is not None:
        await send_queued(deps, bot, [row])
