"""Who is told that their update could not be handled, and in which language.

Only people in a private chat with the bot are told: in a group, the apology would land in front
of everyone for one member's press.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.events import Inbound, Sender, read_update
from dialogs.buyer import locale_for
from dialogs.context import UserCtx
from storage.uow import SqlUnitOfWork


def apology_target(inbound: Inbound | None) -> tuple[Sender, int] | None:
    """The user who sent the update and their private chat; None for groups and the rest."""
    if inbound is None or inbound.chat_id < 0:
        return None
    return inbound.sender, inbound.chat_id


def stored_apology_target(payload: Mapping[str, Any]) -> tuple[Sender, int] | None:
    """`apology_target` of a stored update; None for one that cannot be read."""
    try:
        return apology_target(read_update(payload))
    except ValueError:
        return None  # stored unreadable (see bot/inbox.py): there is no one to tell


async def apology_locale(uow: SqlUnitOfWork, user: Sender) -> str:
    """The user's /language choice, else the language their Telegram app uses."""
    return await locale_for(uow, UserCtx(user_id=user.id, language_code=user.language_code))
