"""Groups that are not the staff group: only an admin's /chatid, or the bot being added, is
answered (dialogs/groups.py decides); all other chatter there is left alone."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiogram import Bot, Router
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.types import ChatMemberUpdated, Message, Update, User

from bot.events import addressed_to_another_bot, message_to_event
from bot.outbox import queue_replies, send_queued
from bot.routers.filters import in_chat_types
from dialogs import groups
from dialogs.context import UserCtx
from dialogs.types import Event

if TYPE_CHECKING:
    from bot.deps import Deps

log = logging.getLogger(__name__)

_GROUPS = in_chat_types(ChatType.GROUP, ChatType.SUPERGROUP)
_OUTSIDE = {ChatMemberStatus.LEFT, ChatMemberStatus.KICKED}
_INSIDE = {ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR}


def build_group_router() -> Router:
    """Routes group messages and the bot's own membership changes (after the staff router)."""
    router = Router(name="groups")
    router.message.filter(_GROUPS)
    router.my_chat_member.filter(_GROUPS)
    router.message.register(on_message)
    router.my_chat_member.register(on_membership)
    return router


async def on_message(message: Message, bot: Bot, deps: Deps, event_update: Update) -> None:
    if message.from_user is None or message.from_user.is_bot:
        return
    if addressed_to_another_bot(message.text, (await bot.me()).username):
        return
    await converse(
        deps, bot, message.chat.id, message.from_user, event_update.update_id,
        message_to_event(message),
    )


async def on_membership(
    change: ChatMemberUpdated, bot: Bot, deps: Deps, event_update: Update
) -> None:
    """The bot was added to a group: whoever added it may be an admin setting it up."""
    joined = (
        change.old_chat_member.status in _OUTSIDE and change.new_chat_member.status in _INSIDE
    )
    if joined:
        await converse(
            deps, bot, change.chat.id, change.from_user, event_update.update_id,
            groups.ADDED_TO_GROUP,
        )


async def converse(
    deps: Deps, bot: Bot, chat_id: int, user: User, update_id: int, event: Event
) -> None:
    """Asks dialogs/groups.py for an answer and queues it in one transaction, then sends it."""
    ctx = UserCtx(user_id=user.id, update_id=update_id, chat_id=chat_id)
    async with deps.uow() as uow:
        if not await uow.updates.mark_processed(update_id, deps.clock.now()):
            log.info("update %s already processed", update_id)
            return
        replies = await groups.handle_other_group(event, ctx, uow, deps.env)
        # A group has no one language; the deployment's.
        locale = deps.env.default_locale
        queued = await queue_replies(uow.outbox, deps, chat_id, locale, update_id, replies)
        await uow.commit()
    await send_queued(deps, bot, queued)
