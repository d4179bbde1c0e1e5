"""Where a benchmark runs: a fresh migrated database (SQLite file or PostgreSQL) and the bot's
production wiring (build_deps, the turn runner on a runtime's adapter) around an in-process Bot
API session."""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from sqlalchemy.engine import make_url

from bench.recording import InProcessTelegram, RecordingSession
from bot.app import build_deps
from bot.config import Settings
from bot.deps import Deps
from bot.runner import started_up
from bot.transport.aiogram_bot import AiogramBot
from bot.transport.aiogram_session import keep_response_models
from bot.transport.port import BotPort
from bot.transport.runtimes import Runtime
from bot.turns import TurnRunner
from cases.clock import SystemClock
from cases.model import Order, OrderStatus
from storage.db import make_engine
from storage.migrate import upgrade

TOKEN = "123:ABC"  # noqa: S105 (the in-process session checks no token)
DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
CACHE = Path(__file__).parent / ".cache"


def postgres_admin_url() -> str:
    return os.environ.get("BENCH_POSTGRES_URL") or os.environ.get(
        "TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL
    )


async def _pg_execute(statement: str) -> None:
    engine = make_engine(postgres_admin_url()).execution_options(isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql(statement)
    finally:
        await engine.dispose()


async def postgres_reachable() -> bool:
    try:
        await _pg_execute("SELECT 1")
    except Exception:  # any driver or network error: no usable server
        return False
    return True


@asynccontextmanager
async def fresh_database(backend: str) -> AsyncIterator[str]:
    """Yields the URL of a new migrated database; it is removed afterwards."""
    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="bench-"))
        try:
            url = f"sqlite+aiosqlite:///{folder / 'bot.db'}"
            await upgrade(url)
            yield url
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    name = f"bench_{uuid.uuid4().hex[:12]}"
    await _pg_execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        url = make_url(postgres_admin_url()).set(database=name).render_as_string(False)
        await upgrade(url)
        yield url
    finally:
        await _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class BenchBot:
    deps: Deps
    bot: BotPort
    session: InProcessTelegram
    turns: TurnRunner


@asynccontextmanager
async def bench_bot(
    database_url: str, workdir: Path, runtime: Runtime = "aiogram"
) -> AsyncIterator[BenchBot]:
    """The bot as production builds it on `runtime`, its Bot API answered in process: built
    with the cyclic collector paused, and what was built then frozen out of its reach, as
    `complaint-bot run` does (bot/cli.py, bot/runner.py's `started_up`)."""
    gc.disable()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=TOKEN,
        database_url=database_url,
        evidence_dir=workdir / "evidence",
        data_dir=workdir,
    )
    deps = build_deps(settings, SystemClock())
    session: InProcessTelegram
    bot: BotPort
    if runtime == "ptb":
        from bench.recording_ptb import RecordingRequest
        from bot.transport.ptb_bot import build_ptb_bot

        request = RecordingRequest()
        session, bot = request, build_ptb_bot(TOKEN, "http://telegram.bench", (request, request))
    else:
        recording = RecordingSession()
        session, bot = recording, AiogramBot(
            keep_response_models(
                Bot(
                    TOKEN,
                    session=recording,
                    default=DefaultBotProperties(parse_mode=ParseMode.HTML),
                )
            )
        )
    started_up()
    try:
        yield BenchBot(deps, bot, session, TurnRunner(deps, bot))
    finally:
        if runtime == "ptb":
            await bot.close()
        await deps.close()
        gc.unfreeze()  # this bot's objects may go; the next phase builds its own


async def seed_orders(deps: Deps, buyer_ids: list[int]) -> None:
    """Each buyer's order (`order_for`), in one transaction."""
    now = utcnow()
    async with deps.uow() as uow:
        for buyer in buyer_ids:
            await uow.orders.upsert(order_for(buyer, now))
        await uow.commit()


def order_for(buyer_id: int, now: datetime) -> Order:
    """The order buyer `buyer_id` complains about: paid yesterday, a code never delivered."""
    return Order(
        order_no=f"KM{buyer_id:012d}",
        buyer_account=f"buyer_{buyer_id}",
        merchant_code="M1001",
        product="Steam 充值卡 100元",
        category="game_card",
        amount=10000,
        currency="CNY",
        paid_at=now - timedelta(days=1),
        delivered_at=now - timedelta(days=1) + timedelta(minutes=2),
        status=OrderStatus.DELIVERED,
    )


def utcnow() -> datetime:
    return datetime.now(UTC)
