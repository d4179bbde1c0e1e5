"""`make run` as a process: the sandbox without BOT_TOKEN, the real bot with it."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from bot.transport.runtimes import Runtime
from sandbox.botapi import FakeBotAPI
from tests.processes import STARTUP_TIMEOUT, python_process

pytestmark = pytest.mark.e2e

# The promise: the page is served within a minute of `make run` (venv already built).
SERVE_WITHIN = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def scrubbed_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The test's environment minus every bot setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "DATABASE_URL")}
    return {**env, "DATA_DIR": str(tmp_path / "data"), "LOG_LEVEL": "INFO", **extra}


@asynccontextmanager
async def make_run(
    tmp_path: Path, env: dict[str, str]
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Runs what `make run` runs, in an empty directory (no .env); stops it with SIGINT."""
    log_path = tmp_path / "run.log"
    async with python_process("-m", "sandbox", cwd=tmp_path, env=env, log_path=log_path) as process:
        yield process
    output = log_path.read_text(errors="replace")
    assert "Traceback" not in output, output
    assert process.returncode == 0, output


async def wait_until_served(url: str, process: asyncio.subprocess.Process) -> str:
    """Returns the page once `url` answers 200; fails if the process exits first."""
    started = time.monotonic()
    async with aiohttp.ClientSession() as http:
        while time.monotonic() - started < SERVE_WITHIN:
            assert process.returncode is None, "the sandbox exited before serving"
            try:
                async with http.get(url) as response:
                    if response.status == 200:
                        return await response.text()
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.2)
    pytest.fail(f"{url} not served within {SERVE_WITHIN} s")


# `BOT_RUNTIME=ptb make run` too: the sandbox's bot is the production one, on either runtime.
@pytest.mark.every_runtime
async def test_without_a_token_make_run_serves_the_sandbox_on_loopback(
    tmp_path: Path, bot_runtime: Runtime
) -> None:
    port = free_port()
    env = scrubbed_env(tmp_path, SANDBOX_PORT=str(port), BOT_RUNTIME=bot_runtime)
    async with make_run(tmp_path, env) as process:
        page = await wait_until_served(f"http://127.0.0.1:{port}/", process)
        assert "<title>Complaint bot · sandbox</title>" in page  # the web chat, not a stand-in
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/api/state") as answer,
        ):
            assert answer.status == 200
            assert await answer.json()
        for _ in range(100):  # the start-up line comes right after the page is served
            if "http://127.0.0.1:" in (tmp_path / "run.log").read_text(errors="replace"):
                break
            await asyncio.sleep(0.1)
    output = (tmp_path / "run.log").read_text(errors="replace")
    assert f"http://127.0.0.1:{port}/" in output
    assert "bot @complaint_sandbox_bot is running (long polling)" in output
    assert f"runtime {bot_runtime} " in output
    assert (tmp_path / "data" / "sandbox" / "sandbox.db").is_file()
    assert not (tmp_path / "data" / "complaint_bot.db").exists()  # the real bot's stays untouched


async def test_with_a_token_make_run_is_the_real_bot(tmp_path: Path, fake_api: FakeBotAPI) -> None:
    port = free_port()
    env = scrubbed_env(
        tmp_path,
        BOT_TOKEN=fake_api.token,
        TELEGRAM_API_URL=fake_api.base_url,
        SANDBOX_PORT=str(port),
        POLLING_TIMEOUT="1",
        STAFF_CHAT_ID="off",
    )
    async with make_run(tmp_path, env):
        await fake_api.wait_for_poll(timeout=STARTUP_TIMEOUT)
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0  # no sandbox page
    assert (tmp_path / "data" / "complaint_bot.db").is_file()
    assert not (tmp_path / "data" / "sandbox").exists()
