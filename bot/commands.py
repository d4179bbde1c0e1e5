"""The command menu Telegram shows, in each language."""

from __future__ import annotations

from bot.transport.port import BotCommand, BotPort
from locales import Translator

BUYER_COMMANDS = (
    "start",
    "complain",
    "status",
    "mycases",
    "evidence",
    "cancel",
    "help",
    "privacy",
    "deletemydata",
    "language",
)

# Telegram picks the list by the user's app language (a two-letter code); the list without a
# language code is the fallback for everyone else.
_TELEGRAM_LANGUAGE = {"zh_CN": "zh", "en": "en"}


async def publish_commands(bot: BotPort, translator: Translator, default_locale: str) -> None:
    """The private chats' command menu, in each language and (for everyone else) the default."""
    for locale, language_code in _TELEGRAM_LANGUAGE.items():
        await bot.set_commands(_commands(translator, locale), language_code)
    await bot.set_commands(_commands(translator, default_locale))


def _commands(translator: Translator, locale: str) -> list[BotCommand]:
    return [
        BotCommand(name, translator.render(locale, f"bot.command.{name}"))
        for name in BUYER_COMMANDS
    ]
