"""Outbound: queued notifications through the real OutboxSender against the local Bot API
server with Telegram's flood limits switched on (30/s per bot, 1/s per chat: 429 past them).

The notifications are queued up front in a shuffled order of chats (as cases move in no
particular order); the sender runs as in production (its own limiter, real HTTP). Measured:
the sustained rate (accepted sends over the time from the first to the last), how many 429s
the bot provoked, and how many notifications were not delivered.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.env import fresh_database, utcnow
from bot.app import build_bot, build_deps
from bot.config import Settings
from bot.outbox import OutboxSender
from cases.clock import SystemClock
from dialogs.types import Reply
from sandbox.botapi import FakeBotAPI, FloodLimits
from storage.models import OutboxRow

TELEGRAM_CEILING = 30.0  # messages per second per bot


def notice(n: int) -> dict[str, Any]:
    reply = Reply(
        "notice.buyer.in_review",
        {
            "case_no": f"TS20261126-{n:05d}",
            "order_no": f"KM{n:012d}",
            "deadline": date(2026, 12, 1),
        },
    )
    return reply.to_payload("zh_CN")


async def _unsent(engine: AsyncEngine) -> int:
    """Rows neither sent nor given up yet (a failed row counts as lost too, see `run`)."""
    async with engine.connect() as connection:
        query = select(func.count()).select_from(OutboxRow).where(OutboxRow.sent_at.is_(None))
        return int((await connection.execute(query)).scalar_one())


async def run(messages: int, chats: int, workdir: Path) -> dict[str, Any]:
    rng = random.Random(20261126)  # noqa: S311 (a fixed, reproducible order of chats)
    targets = [10_000 + index % chats for index in range(messages)]
    rng.shuffle(targets)
    limits = FloodLimits()
    async with FakeBotAPI(limits=limits) as api, fresh_database("sqlite") as url:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            bot_token=api.token,
            telegram_api_url=api.base_url,
            database_url=url,
            evidence_dir=workdir / "evidence",
        )
        deps = build_deps(settings, SystemClock())
        bot = build_bot(settings)
        try:
            now = utcnow()
            async with deps.uow() as uow:
                for n, chat_id in enumerate(targets):
                    await uow.outbox.add(chat_id, notice(n), now)
                await uow.commit()
            sender = OutboxSender(deps, bot, "bench", limiter=deps.limiter)
            task = asyncio.create_task(sender.run_forever(idle=0.2))
            started = time.perf_counter()
            # Three times the time at the ceiling, and never less than 30 s: then it is stuck.
            give_up = started + max(30.0, 3 * messages / TELEGRAM_CEILING)
            unsent = messages
            while unsent and time.perf_counter() < give_up:
                await asyncio.sleep(0.5)
                unsent = await _unsent(deps.engine)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            unsent = await _unsent(deps.engine)
        finally:
            await bot.close()
            await deps.close()
    sent = [call for call in api.calls("sendMessage") if call.ok]
    span = sent[-1].at - sent[0].at if len(sent) > 1 else 0.0
    delivered_chats = {str(call.params.get("chat_id")) for call in sent}
    return {
        "messages": messages,
        "chats": chats,
        "sent": len(sent),
        "seconds": round(span, 2),
        "messages_per_s": round((len(sent) - 1) / span, 2) if span else 0.0,
        "ceiling_per_s": TELEGRAM_CEILING,
        "too_many_requests": limits.refused,
        "too_many_by_limit": dict(limits.refused_by),
        "lost": int(unsent),
        "chats_reached": len(delivered_chats),
    }
