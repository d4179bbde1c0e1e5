"""The bot as a real process for end-to-end tests: started with its output in a log file."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

STOP_WITHIN = 15.0
# Until a new process first calls Telegram: importing aiogram builds hundreds of pydantic models,
# several seconds on a busy 2-core machine (30 s was once not enough there).
STARTUP_TIMEOUT = 90.0


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
