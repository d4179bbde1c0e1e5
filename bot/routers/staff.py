"""The staff group (STAFF_CHAT_ID): commands, owed answers and `st:` buttons of the people in it.

Being in the group grants nothing: dialogs/staff.py checks the pressing user's role and the
case's status on every update. Staff cards keep their keyboards, so a card stays usable for the
next step and for colleagues; a refused press also pops up the reason as an alert.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiogram import Bot, Router
from aiogram.types import CallbackQuery, Message, Update, User

from bot.events import addressed_to_another_bot, callback_to_event, message_to_event
from bot.outbox import queue_replies, send_queued
from bot.routers.courtesy import tidy
from bot.routers.filters import in_chat
from dialogs import staff
from dialogs.context import UserCtx
from dialogs.types import Event, Reply

if TYPE_CHECKING:
    from bot.deps import Deps

log = logging.getLogger(__name__)

# Telegram shows at most 200 characters in a callback query's alert.
ALERT_LIMIT = 200


def build_staff_router(staff_chat_id: int | None) -> Router:
    """Routes the staff group's messages and button presses; without a group, routes nothing."""
    router = Router(name="staff")
    if staff_chat_id is None:
        return router
    staff_group = in_chat(staff_chat_id)
    router.message.filter(staff_group)
    router.callback_query.filter(staff_group)
    router.message.register(on_message)
    router.callback_query.register(on_button)
    return router


async def on_message(message: Message, bot: Bot, deps: Deps, event_update: Update) -> None:
    """Feeds a staff group message to the staff dialog (most group chatter gets no answer)."""
    if message.from_user is None:
        return
    if addressed_to_another_bot(message.text, (await bot.me()).username):
        return
    await converse(
        deps, bot, message.chat.id, message.from_user, event_update.update_id,
        message_to_event(message),
    )


async def on_button(query: CallbackQuery, bot: Bot, deps: Deps, event_update: Update) -> None:
    """Runs a staff button press; the card keeps its keyboard, a refusal pops up as an alert."""
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    replies = await converse(
        deps, bot, chat_id, query.from_user, event_update.update_id, callback_to_event(query),
        answer=query,
    )
    if replies is None:
        await tidy(query.answer(), "answering a button press")


async def converse(
    deps: Deps,
    bot: Bot,
    chat_id: int,
    user: User,
    update_id: int,
    event: Event,
    answer: CallbackQuery | None = None,
) -> list[Reply] | None:
    """Runs one staff step and queues its replies in one transaction, answers the button, then
    sends the replies.

    Returns None when the update had been handled before (Telegram delivered it again).
    """
    ctx = UserCtx(
        user_id=user.id,
        language_code=user.language_code,
        username=user.username,
        update_id=update_id,
        chat_id=chat_id,
    )
    # The group shares one language: the deployment's.
    locale = deps.env.default_locale
    now = deps.clock.now()
    async with deps.uow() as uow:
        # The same update delivered twice has one effect.
        if not await uow.updates.mark_processed(update_id, now):
            log.info("update %s already processed", update_id)
            return None
        await uow.users.touch(user.id, user.language_code, user.username, now)
        replies = await staff.handle_group(event, ctx, uow, deps.env, deps.notifier)
        queued = await queue_replies(uow.outbox, deps, chat_id, locale, update_id, replies)
        await uow.commit()
    if answer is not None:
        await _answer(deps, answer, locale, staff.refusal_in(replies))
    await send_queued(deps, bot, queued)
    return replies


async def _answer(deps: Deps, query: CallbackQuery, locale: str, refusal: Reply | None) -> None:
    """Stops the button's spinner; a refused press shows why in an alert as well."""
    if refusal is None:
        await tidy(query.answer(), "answering a button press")
    else:
        alert = query.answer(alert_text(deps, locale, refusal), show_alert=True)
        await tidy(alert, "showing a refusal")


def alert_text(deps: Deps, locale: str, reply: Reply) -> str:
    """The reply as plain text within Telegram's alert limit (alerts show no HTML)."""
    text = deps.translator.render_plain(locale, reply.key, reply.params)
    return text if len(text) <= ALERT_LIMIT else text[: ALERT_LIMIT - 1] + "…"
