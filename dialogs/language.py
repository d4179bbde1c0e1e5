"""Which language a user is answered in: their /language choice, else their Telegram app's.

A leaf of the dialogs: the buyer's chat, the draft reminders and the notices all ask it, so it
imports none of them.
"""

from __future__ import annotations

from typing import Final

from cases.ports import UnitOfWork
from dialogs.context import UserCtx

# Locale ids the texts exist in; the bot's renderer falls back to zh_CN for anything else.
ZH_CN: Final = "zh_CN"
EN: Final = "en"
SUPPORTED_LOCALES: Final = (ZH_CN, EN)


async def locale_for(uow: UnitOfWork, user: UserCtx) -> str:
    """Returns the locale to answer in: the /language choice, else Telegram's language."""
    profile = await uow.users.get(user.user_id)
    if profile is not None and profile.locale in SUPPORTED_LOCALES:
        return profile.locale
    code = (user.language_code or "").lower()
    return ZH_CN if not code or code.startswith("zh") else EN
