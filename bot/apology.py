"""Who is told that their update could not be handled, and in which language.

Only people in a private chat with the bot are told: in a group, the apology would land in front
of everyone for one member's press.
"""

from __future__ import annotations

from aiogram.types import Update, User

from dialogs.buyer import locale_for
from dialogs.context import UserCtx
from storage.uow import SqlUnitOfWork


def apology_target(update: Update) -> tuple[User, int] | None:
    """The user who sent the update and their private chat; None for groups and the rest."""
    user, chat_id = None, None
    if update.message is not None:
        user, chat_id = update.message.from_user, update.message.chat.id
    elif update.edited_message is not None:
        user, chat_id = update.edited_message.from_user, update.edited_message.chat.id
    elif update.callback_query is not None:
        user = update.callback_query.from_user
        message = update.callback_query.message
        chat_id = message.chat.id if message is not None else user.id
    if user is None or chat_id is None or chat_id < 0:
        return None
    return user, chat_id


async def apology_locale(uow: SqlUnitOfWork, user: User) -> str:
    """The user's /language choice, else the language their Telegram app uses."""
    return await locale_for(uow, UserCtx(user_id=user.id, language_code=user.language_code))
