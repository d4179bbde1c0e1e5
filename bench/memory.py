"""Memory: the resident set of the real bot process (`python -m bot run`, long polling the local
Bot API server) with an empty database and with a database of many cases and drafts.

The bot is started as an operator starts it, handles a few filing conversations so every code
path it runs has been imported and warmed, then idles a moment; RSS is read with psutil.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

import psutil

from bench.seed import copy_of, seeded
from sandbox.botapi import FakeBotAPI
from storage.migrate import upgrade

MB = 1024 * 1024


async def rss_of_bot(database: Path, workdir: Path) -> float:
    """Starts the bot on `database`, lets three buyers talk to it, returns its RSS in MB."""
    async with FakeBotAPI() as api:
        env = {
            **os.environ,
            "BOT_TOKEN": api.token,
            "TELEGRAM_API_URL": api.base_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
            "EVIDENCE_DIR": str(workdir / "evidence"),
            "DATA_DIR": str(workdir),
            "POLLING_TIMEOUT": "1",
            "LOG_LEVEL": "WARNING",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, stdout=asyncio.subprocess.DEVNULL
        )
        try:
            await api.wait_for_poll(timeout=120)
            for n in range(3):
                buyer = api.user(id=7_000_000 + n)
                await buyer.send_command("/start")
                await api.wait_for_call("sendMessage", chat_id=buyer.chat_id, timeout=30)
            await asyncio.sleep(3)
            return psutil.Process(process.pid).memory_info().rss / MB
        finally:
            process.terminate()
            await process.wait()


async def run(cases: int, workdir: Path) -> dict[str, Any]:
    empty_dir = workdir / "empty"
    empty_dir.mkdir(parents=True, exist_ok=True)
    empty = empty_dir / "bot.db"
    await upgrade(f"sqlite+aiosqlite:///{empty}")
    started = time.perf_counter()
    source = await seeded(cases, 0.1, drafts=cases)
    seeding = time.perf_counter() - started
    full_dir = workdir / "full"
    full_dir.mkdir(parents=True, exist_ok=True)
    full = copy_of(source, full_dir)
    empty_rss = await rss_of_bot(empty, empty_dir)
    full_rss = await rss_of_bot(full, full_dir)
    return {
        "cases": cases,
        "drafts": cases,
        "seed_s": round(seeding, 1),
        "empty_mb": round(empty_rss, 1),
        "full_mb": round(full_rss, 1),
        "growth_mb": round(full_rss - empty_rss, 1),
    }
