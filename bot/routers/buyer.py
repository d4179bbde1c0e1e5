"""The buyer's private chat: every update becomes a dialog event, replies are sent back."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiogram import Bot, Router
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Message, Update, User

from bot.events import callback_to_event, message_to_event
from bot.outbox import queue_replies, send_queued
from bot.routers.courtesy import tidy
from bot.routers.filters import in_chat_types
from dialogs import buyer
from dialogs.context import UserCtx
from dialogs.types import Event, OtherIn

if TYPE_CHECKING:
    from bot.deps import Deps

log = logging.getLogger(__name__)


def build_buyer_router() -> Router:
    router = Router(name="buyer")
    private = in_chat_types(ChatType.PRIVATE)
    router.message.filter(private)
    router.edited_message.filter(private)
    router.callback_query.filter(private)
    router.message.register(on_message)
    router.edited_message.register(on_edited_message)
    router.callback_query.register(on_button)
    return router


async def on_message(message: Message, bot: Bot, deps: Deps, event_update: Update) -> None:
    """Feeds a private message to the buyer dialog."""
    if message.from_user is None:
        return
    await converse(
        deps, bot, message.chat.id, message.from_user, event_update.update_id,
        message_to_event(message),
    )


async def on_edited_message(
    message: Message, bot: Bot, deps: Deps, event_update: Update
) -> None:
    """Tells the buyer that edits are not read, so they send the text again."""
    if message.from_user is None:
        return
    await converse(
        deps, bot, message.chat.id, message.from_user, event_update.update_id,
        OtherIn(kind="edited_message"),
    )


async def on_button(query: CallbackQuery, bot: Bot, deps: Deps, event_update: Update) -> None:
    """Feeds a button press to the buyer dialog and retires the pressed keyboard."""
    # Answer first: Telegram shows a spinner on the button until the query is answered.
    await tidy(query.answer(), "answering a button press")
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    await converse(
        deps, bot, chat_id, query.from_user, event_update.update_id, callback_to_event(query)
    )
    if isinstance(query.message, Message) and query.message.reply_markup is not None:
        # Every answer carries fresh buttons; old ones would only invite stale presses.
        await tidy(query.message.edit_reply_markup(reply_markup=None), "retiring a keyboard")


async def converse(
    deps: Deps, bot: Bot, chat_id: int, user: User, update_id: int, event: Event
) -> None:
    """Runs one dialog step and queues its replies in one transaction, then sends them."""
    ctx = UserCtx(
        user_id=user.id,
        language_code=user.language_code,
        username=user.username,
        update_id=update_id,
    )
    now = deps.clock.now()
    async with deps.uow() as uow:
        # The same update delivered twice has one effect.
        if not await uow.updates.mark_processed(update_id, now):
            log.info("update %s already processed", update_id)
            return
        await uow.users.touch(user.id, user.language_code, user.username, now)
        # A user who writes again has unblocked the bot: their notifications may flow again.
        if await uow.outbox.unblock_chat(chat_id):
            log.info("chat %s unblocked the bot", chat_id)
        answered = await buyer.handle(event, ctx, uow, deps.env)
        queued = await queue_replies(
            uow.outbox, deps, chat_id, answered.locale, update_id, answered.replies
        )
        await uow.commit()
    await send_queued(deps, bot, queued)
