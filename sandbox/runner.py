"""The offline sandbox in one process: local Bot API server, the real bot, the web chat, a clock.

`make run` without BOT_TOKEN lands here. The bot is the production one (bot/runner.py run_bot)
long polling a FakeBotAPI on 127.0.0.1, with its own SQLite database under DATA_DIR/sandbox and
the sandbox clock as `deps.clock`. On first start the demo is set up: the demo orders imported
with their times moved to now, a demo merchant bound to the merchant's chat, a staff admin in the
staff group that is the bot's STAFF_CHAT_ID.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import signal
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.cli import Console
from bot.config import Settings
from bot.runner import run_bot
from cases.calendar import build_calendar
from cases.policy import load_policy
from dialogs.merchant import token_hash
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import InboxRow, ProcessedUpdateRow
from storage.orders_import import import_orders_csv
from storage.uow import SqlUnitOfWork

from .botapi import FakeBotAPI
from .clock import OFFSET_FILE, SandboxClock
from .handle import SandboxHandle
from .keeper import ChatsKeeper
from .web import build_web_app

log = logging.getLogger(__name__)

# The sandbox's people and chats. Fixed ids, so a restart finds the same accounts in the database.
SANDBOX_TOKEN = "7000000001:sandbox-local-only-token"  # noqa: S105 (nothing to protect offline)
BOT_USERNAME = "complaint_sandbox_bot"
BUYER_ID = 7100000001
MERCHANT_ID = 7200000001
STAFF_ID = 7300000001
STAFF_CHAT_ID = -1007400000001
# The demo merchant: the one with the most card-code orders in demo/orders.csv.
DEMO_MERCHANT_CODE = "M1003"
DEMO_MERCHANT_NAME = "星河数卡"
DEMO_ORDERS = Path(__file__).resolve().parent.parent / "demo" / "orders.csv"
DATABASE_FILE = "sandbox.db"
# The local server's chats, written as they change (sandbox/keeper.py) so that a restart, even
# after a kill, shows them again.
CHATS_FILE = "chats.json"
# The fake server wakes a waiting long poll as soon as something arrives, so the length only
# bounds how long stopping the bot for a reset may wait on it.
POLLING_TIMEOUT = 10


class Sandbox:
    """Owns the local Bot API server, the bot task and the demo data; `reset()` starts over."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.directory = settings.data_dir / "sandbox"
        policy = load_policy(
            settings.policy_file, settings.timezone, settings.reminder_window
        )
        calendar = build_calendar(settings.timezone, policy.holiday_file)
        self.clock = SandboxClock(calendar, self.directory / OFFSET_FILE)
        self.api = FakeBotAPI(
            SANDBOX_TOKEN,
            username=BOT_USERNAME,
            first_name="Complaint Bot (sandbox)",
            clock=self.clock.timestamp,
            port=settings.sandbox_api_port,
        )
        self.handle = SandboxHandle(
            api=self.api,
            buyer=self.api.user(BUYER_ID, first_name="小明", username="xiaoming_buyer"),
            merchant=self.api.user(MERCHANT_ID, first_name="星河数卡", username="xinghe_shop"),
            staff=self.api.user(STAFF_ID, first_name="客服小李", username="support_li").in_chat(
                STAFF_CHAT_ID, "supergroup", title="客服群"
            ),
            staff_chat_id=STAFF_CHAT_ID,
            clock=self.clock,
            on_reset=self.reset,
        )
        self._bot_task: asyncio.Task[None] | None = None
        self._bot_stop = asyncio.Event()
        self._reset_lock = asyncio.Lock()
        self.chats = ChatsKeeper(self.api.state, self.directory / CHATS_FILE)

    @property
    def database_path(self) -> Path:
        return self.directory / DATABASE_FILE

    @property
    def evidence_dir(self) -> Path:
        return self.directory / "evidence"

    def bot_settings(self) -> Settings:
        """The operator's settings, pointed at the local server and the sandbox's own data."""
        return self.settings.model_copy(
            update={
                "bot_token": SecretStr(SANDBOX_TOKEN),
                "telegram_api_url": self.api.base_url,
                "database_url": f"sqlite+aiosqlite:///{self.database_path.resolve()}",
                "evidence_dir": self.evidence_dir,
                "staff_chat_id": STAFF_CHAT_ID,
                "admin_ids": (STAFF_ID,),
                "redis_url": None,
                "webhook_url": None,
                "webhook_secret": None,
                "polling_timeout": POLLING_TIMEOUT,
                # Refunds are confirmed by the staff pane's button, never sent to a platform.
                "platform_gateway": "manual",
            }
        )

    async def start(self) -> None:
        """Starts the local server, sets the demo up if this is the first start, runs the bot."""
        await self.api.start()
        first_start = not await asyncio.to_thread(self.database_path.exists)
        if first_start:
            await self.set_up_demo()
        else:
            kept = await asyncio.to_thread(_read_json, self.directory / CHATS_FILE)
            if kept is not None:
                self.api.state.restore(kept)
            # The inbox refuses an update id it has seen: go on from the last one stored.
            self.api.state.continue_update_ids_after(await self._last_update_id())
        self.chats.start()
        self._start_bot()

    async def close(self) -> None:
        """Stops the bot and the server; the chats are kept for the next start."""
        await self._stop_bot()
        await self.chats.close()
        if await asyncio.to_thread(self.database_path.exists):
            await self.chats.write()
        await self.api.close()

    async def reset(self) -> None:
        """Wipes the database, evidence, chats and clock offset, then sets the demo up again."""
        async with self._reset_lock:
            await self._stop_bot()
            await asyncio.to_thread(self._wipe_files)
            self.clock.reset()
            self.api.forget_conversations()
            await self.set_up_demo()
            await self.chats.write()  # the emptied chats at once, to match the new database
            self._start_bot()
            log.info("sandbox reset: demo set up again")

    def _wipe_files(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.database_path}{suffix}").unlink(missing_ok=True)
        shutil.rmtree(self.evidence_dir, ignore_errors=True)
        (self.directory / CHATS_FILE).unlink(missing_ok=True)

    async def set_up_demo(self) -> None:
        """Imports the demo orders, binds the demo merchant and makes the staff user an admin."""
        url = self.bot_settings().resolved_database_url
        await asyncio.to_thread(self.directory.mkdir, parents=True, exist_ok=True)
        await upgrade(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        now = self.clock.now()
        try:
            report = await import_orders_csv(
                lambda: SqlUnitOfWork(factory), DEMO_ORDERS, now, shift_to_now=True
            )
            if report.errors:
                raise RuntimeError(f"demo orders do not import: {report.errors}")
            async with SqlUnitOfWork(factory) as uow:
                await uow.merchants.upsert(DEMO_MERCHANT_CODE, DEMO_MERCHANT_NAME, now)
                # The same one-time token binding the merchant's deep link would perform.
                token = token_hash(f"sandbox-{DEMO_MERCHANT_CODE}")
                await uow.merchants.set_bind_token(DEMO_MERCHANT_CODE, token, now)
                if await uow.merchants.bind(token, MERCHANT_ID, now) is None:
                    raise RuntimeError("the demo merchant could not be bound")
                await uow.staff.set_role(STAFF_ID, "admin", now)
                await uow.commit()
        finally:
            await engine.dispose()
        log.info("sandbox demo set up: %s orders, merchant %s", report.inserted, DEMO_MERCHANT_CODE)

    async def _last_update_id(self) -> int:
        url = self.bot_settings().resolved_database_url
        await upgrade(url)
        engine = make_engine(url)
        try:
            async with engine.connect() as connection:
                found = [
                    (await connection.execute(select(func.max(column)))).scalar()
                    for column in (InboxRow.update_id, ProcessedUpdateRow.update_id)
                ]
        finally:
            await engine.dispose()
        return max((int(value) for value in found if value is not None), default=0)

    def _start_bot(self) -> None:
        self._bot_stop = asyncio.Event()
        task = asyncio.create_task(
            run_bot(self.bot_settings(), self.clock, stop=self._bot_stop), name="sandbox-bot"
        )
        task.add_done_callback(_report_bot_end)
        self._bot_task = task

    async def _stop_bot(self) -> None:
        task, self._bot_task = self._bot_task, None
        if task is None:
            return
        self._bot_stop.set()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await task


def _read_json(path: Path) -> Any:
    """The kept chats, or None when there are none or they cannot be read (chats start empty)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _report_bot_end(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the sandbox's bot stopped", exc_info=task.exception())


async def run_sandbox(settings: Settings, console: Console) -> int:
    """Runs the sandbox until SIGINT or SIGTERM; prints where to open it. Returns the exit code."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    sandbox = Sandbox(settings)
    runner = web.AppRunner(build_web_app(sandbox.handle), access_log=None)
    port = settings.sandbox_api_port
    try:
        await sandbox.start()
        await runner.setup()
        port = settings.sandbox_port
        # Loopback only: whoever opens the page acts as buyer, merchant and staff admin.
        await web.TCPSite(runner, "127.0.0.1", port).start()
        console.say(
            "cli.sandbox_ready",
            url=f"http://127.0.0.1:{port}/",
            api_url=sandbox.api.base_url,
            data_dir=str(sandbox.directory),
        )
        await stop.wait()
    except OSError as exc:
        # Mostly a port another program holds; saying which setting moves it is the fix.
        console.error("cli.sandbox_cannot_listen", port=port, reason=exc.strerror or str(exc))
        return 2
    finally:
        await runner.cleanup()
        await sandbox.close()
    return 0
