"""Runs the bot with long polling, plus its background loops, until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket

from bot.app import bootstrap_admins, build_bot, build_deps, build_dispatcher
from bot.commands import publish_commands
from bot.config import Settings
from bot.deadlines import DeadlineWorker
from bot.evidence import EvidenceDownloader
from bot.outbox import OutboxSender
from bot.payouts import PayoutWorker
from bot.platform_gateway import build_gateway
from cases.clock import Clock, SystemClock
from storage.migrate import upgrade

log = logging.getLogger(__name__)


async def run_polling(settings: Settings, clock: Clock | None = None) -> None:
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        # The single-machine shape needs no operator step: the file is migrated on start.
        await upgrade(url)
    deps = build_deps(settings, clock or SystemClock())
    bot = build_bot(settings)
    dispatcher = build_dispatcher(deps)
    worker_id = f"{socket.gethostname()}:{os.getpid()}"
    background: list[asyncio.Task[None]] = []
    try:
        await bootstrap_admins(deps)
        await bot.delete_webhook(drop_pending_updates=False)
        await publish_commands(bot, deps.translator, settings.default_locale)
        me = await bot.get_me()
        log.info("bot @%s is running (long polling)", me.username)
        downloader = EvidenceDownloader(deps, bot, worker_id)
        background.append(asyncio.create_task(downloader.run_forever(), name="evidence"))
        outbox = OutboxSender(deps, bot, worker_id)
        background.append(asyncio.create_task(outbox.run_forever(), name="outbox"))
        deadlines = DeadlineWorker(deps, worker_id)
        background.append(asyncio.create_task(deadlines.run_forever(), name="deadlines"))
        payouts = PayoutWorker(deps, build_gateway(settings), worker_id)
        background.append(asyncio.create_task(payouts.run_forever(), name="payouts"))
        await dispatcher.start_polling(
            bot,
            polling_timeout=settings.polling_timeout,
            allowed_updates=dispatcher.resolve_used_update_types(),
            handle_signals=True,
            close_bot_session=False,
        )
    finally:
        for task in background:
            task.cancel()
        for task in background:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await bot.session.close()
        await deps.engine.dispose()
