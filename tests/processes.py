"""The bot as a real process for end-to-end tests: started with its output in a log file."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.transport.runtimes import Runtime
from sandbox.botapi import FakeBotAPI

STOP_WITHIN = 15.0
# Until a new process first calls Telegram: importing aiogram builds hundreds of pydantic models,
# several seconds on a busy 2-core machine (30 s was once not enough there).
STARTUP_TIMEOUT = 90.0


ROOT = Path(__file__).resolve().parents[1]


def bot_env(
    api: FakeBotAPI, runtime: Runtime, database_url: str, workdir: Path, **settings: str
) -> dict[str, str]:
    """The environment of a `python -m bot run` process on `runtime`, talking to `api`:
    this process's environment, the bot's essentials, then `settings` (names as in .env)."""
    return {
        **os.environ,
        "BOT_TOKEN": api.token,
        "TELEGRAM_API_URL": api.base_url,
        "BOT_RUNTIME": runtime,
        "DATABASE_URL": database_url,
        "EVIDENCE_DIR": str(workdir / "evidence"),
        "STAFF_CHAT_ID": "off",
        "LOG_LEVEL": "INFO",
        "PYTHONPATH": str(ROOT),
        **settings,
    }


@asynccontextmanager
async def python_process(
    *args: str, cwd: Path, env: dict[str, str], log_path: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Runs `python *args`; at the end SIGINT stops it as Ctrl+C would (killed if it hangs)."""
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, *args, cwd=cwd, env=env, stdout=log, stderr=log
        )
        try:
            yield process
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGINT)
                try:
                    await asyncio.wait_for(process.wait(), timeout=STOP_WITHIN)
                except TimeoutError:
                    process.kill()
                    await process.wait()
