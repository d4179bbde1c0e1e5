"""Memory: the resident set of the real bot process (`python -m bot run`, long polling the local
Bot API server) with an empty database and with a database of many cases and drafts, beside a
bare aiogram echo bot (bench/bare_bot.py) measured the same way in the same run: the floor any
aiogram bot on this machine stands on.

Each bot is started as an operator starts it, handles a few conversations so every code path it
runs has been imported and warmed, then idles a moment; RSS is read with psutil. Start-up is the
time from starting the process to its first long poll with nothing left to receive.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from bench.seed import copy_of, seeded
from sandbox.botapi import FakeBotAPI
from storage.migrate import upgrade

MB = 1024 * 1024


@dataclass
class Reading:
    rss_mb: float
    start_s: float


async def rss_of_bot(database: Path, workdir: Path, idle_s: float) -> Reading:
    """Starts the bot on `database`, lets three buyers talk to it, reads its RSS."""
    return await _reading(["-m", "bot", "run"], database, workdir, idle_s)


async def rss_of_bare_aiogram(workdir: Path, idle_s: float) -> Reading:
    """The same for a bare aiogram echo bot (it never opens the database)."""
    return await _reading(["-m", "bench.bare_bot"], workdir / "unused.db", workdir, idle_s)


async def _reading(command: list[str], database: Path, workdir: Path, idle_s: float) -> Reading:
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
            "STAFF_CHAT_ID": "off",
        }
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable, *command, env=env, stdout=asyncio.subprocess.DEVNULL
        )
        try:
            await api.wait_for_poll(timeout=120)
            start = time.perf_counter() - started
            for n in range(3):
                buyer = api.user(id=7_000_000 + n)
                await buyer.send_command("/start")
                await api.wait_for_call("sendMessage", chat_id=buyer.chat_id, timeout=30)
            await asyncio.sleep(idle_s)
            return Reading(psutil.Process(process.pid).memory_info().rss / MB, start)
        finally:
            process.terminate()
            await process.wait()


async def run(cases: int, workdir: Path, idle_s: float) -> dict[str, Any]:
    """`idle_s`: how long each bot idles before its RSS is read (3 s; a tiny run's reading,
    which means nothing, waits less)."""
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
    bare_dir = workdir / "bare"
    bare_dir.mkdir(parents=True, exist_ok=True)
    bare = await rss_of_bare_aiogram(bare_dir, idle_s)
    empty_rss = await rss_of_bot(empty, empty_dir, idle_s)
    full_rss = await rss_of_bot(full, full_dir, idle_s)
    return {
        "cases": cases,
        "drafts": cases,
        "seed_s": round(seeding, 1),
        "bare_aiogram_mb": round(bare.rss_mb, 1),
        "empty_mb": round(empty_rss.rss_mb, 1),
        "full_mb": round(full_rss.rss_mb, 1),
        "growth_mb": round(full_rss.rss_mb - empty_rss.rss_mb, 1),
        "above_bare_mb": round(empty_rss.rss_mb - bare.rss_mb, 1),
        "bare_aiogram_start_s": round(bare.start_s, 2),
        "start_s": round(empty_rss.start_s, 2),
    }
