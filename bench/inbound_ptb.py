"""The inbound baseline of the ptb runtime: a bare python-telegram-bot Application.

Its own updater long polls the in-process Telegram (bench/recording_ptb.py) and its handlers
echo, as the bare aiogram bot of bench/inbound.py does: a message is answered with its text, a
button press answered and its data sent to the chat. Updates are handled concurrently, as
aiogram's dispatcher handles them, so each runtime's bot is set beside its own library at its
fastest.
"""

from __future__ import annotations

import os
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bench.env import TOKEN
from bench.inbound import EchoLoad
from bench.recording_ptb import RecordingRequest


async def baseline(count: int, min_seconds: float) -> dict[str, Any]:
    """The bare PTB echo bot on PTB's own updater, fed as bench/inbound.py's `EchoLoad` says."""
    os.environ.setdefault("PTB_TIMEDELTA", "true")  # as the adapter does (bot/transport)
    request = RecordingRequest()
    application = (
        Application.builder()
        .token(TOKEN)
        .request(request)
        .get_updates_request(request)
        .concurrent_updates(True)
        .job_queue(None)
        .build()
    )
    load = EchoLoad(request, count)

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message is not None:
            text = update.effective_message.text or "收到"
            await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML)
        load.one()

    async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is not None:
            await query.answer()
            if query.message is not None:
                await context.bot.send_message(
                    query.message.chat.id, query.data or "", parse_mode=ParseMode.HTML
                )
        load.one()

    application.add_handler(MessageHandler(filters.ALL, echo))
    application.add_handler(CallbackQueryHandler(press))
    updater = application.updater
    if updater is None:
        raise RuntimeError("the Application was built without its updater")
    async with application:
        await updater.start_polling(timeout=1)
        await application.start()
        try:
            return await load.run(min_seconds)
        finally:
            await updater.stop()
            await application.stop()
