"""The memory section's baseline: a bare aiogram echo bot, run as its own process
(`python -m bench.bare_bot`) the way the real bot is run.

It loads only what any aiogram bot loads (aiogram, its pydantic types, aiohttp): one Bot with
the same session and defaults as bot/app.py's build_bot, one Dispatcher with one handler, long
polling BOT_TOKEN at TELEGRAM_API_URL with POLLING_TIMEOUT. The bot's RSS above this one's is
what the product itself costs.
"""

from __future__ import annotations

import asyncio
import os

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import Message


async def main() -> None:
    server = TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"].rstrip("/"))
    bot = Bot(
        token=os.environ["BOT_TOKEN"],
        session=AiohttpSession(api=server),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "收到")

    # The bench stops it with SIGTERM; Python's default action ends it quietly.
    await dispatcher.start_polling(
        bot, handle_signals=False, polling_timeout=int(os.environ.get("POLLING_TIMEOUT", "10"))
    )


if __name__ == "__main__":
    asyncio.run(main())
