"""The command menu Telegram shows, in each language."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats

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


async def publish_commands(bot: Bot, translator: Translator, default_locale: str) -> None:
    for locale, language_code in _TELEGRAM_LANGUAGE.items():
        await bot.set_my_commands(
            _commands(translator, locale),
            scope=BotCommandScopeAllPrivateChats(),
            language_code=language_code,
        )
    await bot.set_my_commands(
        _commands(translator, default_locale), scope=BotCommandScopeAllPrivateChats()
    )


def _commands(translator: Translator, locale: str) -> list[BotCommand]:
    return [
        BotCommand(command=name, description=translator.render(locale, f"bot.command.{name}"))
        for name in BUYER_COMMANDS
    ]
