"""Inbound: scripted filing conversations through the bot's full path, and a bare aiogram bot.

Every buyer does the whole filing dialog (order number, account, reason, description, a
payment-proof photo, done, refund wish, method, submit: nine updates). The updates reach the bot
the way Telegram delivers them: getUpdates (answered in process by RecordingSession, up to 100 a
call) → PollingIntake stores the batch in the inbox in one transaction → InboxWorker lanes →
turn runner → dialog → database commit → replies sent through the session.

Saturation: all buyers' updates are made available at once, interleaved (many buyers at once);
the rate is updates handled per second from first delivery until the last one is handled (its
dialog step committed, its replies sent); an update that ended in an error counts as not
handled. CPU per update is the process's CPU time (all threads) over the updates handled.
Steady: after a warm-up (`_warm_up`, not counted), updates of other buyers arrive at half the
rate saturation reached, their
conversations started one step apart in turn (`Script.staggered`), so that every stretch of the
stream mixes all nine steps as a steady flow of buyers would; latency is from delivery to
handled. (In step-synchronised rounds every buyer's costliest step, the submit, arrives back to
back: at half the average rate that burst alone queued for up to 170 ms.) Afterwards every
stored update must be marked done.
Baseline: aiogram's own polling loop with an echo handler, fed batches of the same size until
it has run at least two seconds. With runtime "ptb" the bot runs on the python-telegram-bot
adapter, and its baseline is a bare PTB Application (bench/inbound_ptb.py).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.types import CallbackQuery, Message
from sqlalchemy import func, select

from bench.env import TOKEN, bench_bot, fresh_database, seed_orders
from bench.recording import BOT_USER, InProcessTelegram, RecordingSession
from bot.events import ALLOWED_UPDATES
from bot.inbox import InboxWorker
from bot.intake import PollingIntake
from bot.transport.runtimes import Runtime
from bot.turns import Rider
from storage.models import CaseRow
from storage.ports import InboxUpdate

STEPS = 9  # updates in one buyer's filing conversation
# The steady phase's warm-up: conversations of other buyers, every step, handled before its
# clock starts and not counted.
WARM_UP_BUYERS = list(range(8_000_001, 8_000_001 + STEPS))


class Script:
    """Builds the Telegram updates of buyers filing complaints, with one update_id sequence."""

    def __init__(self) -> None:
        self._update_id = 0
        self._message_id = 0

    def conversation(self, buyer_id: int) -> list[dict[str, Any]]:
        user = {
            "id": buyer_id,
            "is_bot": False,
            "first_name": "买家",
            "language_code": "zh-hans",
        }
        chat = {"id": buyer_id, "type": "private", "first_name": "买家"}
        order = f"KM{buyer_id:012d}"
        return [
            self._message(user, chat, text=f"/complain {order}", command="/complain"),
            self._message(user, chat, text=f"BUYER_{buyer_id}"),
            self._click(user, chat, "f:reason:not_delivered"),
            self._message(user, chat, text="付款后一直没有收到充值卡，联系商家也没有回复。"),
            self._message(user, chat, photo=_photo(buyer_id)),
            self._click(user, chat, "f:done"),
            self._click(user, chat, "f:refund:full"),
            self._click(user, chat, "f:method:original"),
            self._click(user, chat, "f:submit"),
        ]

    def interleaved(self, buyer_ids: list[int]) -> list[dict[str, Any]]:
        """Everyone's step 1, then everyone's step 2 …: many conversations at once."""
        conversations = [self.conversation(buyer) for buyer in buyer_ids]
        return self._numbered([conv[step] for step in range(STEPS) for conv in conversations])

    def staggered(self, buyer_ids: list[int]) -> list[dict[str, Any]]:
        """As many conversations at once, buyer i's starting i mod 9 rounds later: each round
        holds every step, and a buyer's next step still comes a whole round after the last."""
        conversations = [self.conversation(buyer) for buyer in buyer_ids]
        rounds = STEPS + min(STEPS, len(conversations)) - 1
        return self._numbered(
            [
                conv[step]
                for round_ in range(rounds)
                for index, conv in enumerate(conversations)
                if 0 <= (step := round_ - index % STEPS) < STEPS
            ]
        )

    def _numbered(self, ordered: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The updates with ids in the order Telegram hands them out."""
        for update in ordered:
            self._update_id += 1
            update["update_id"] = self._update_id
        return ordered

    def _message(
        self,
        user: dict[str, Any],
        chat: dict[str, Any],
        *,
        text: str | None = None,
        photo: list[dict[str, Any]] | None = None,
        command: str | None = None,
    ) -> dict[str, Any]:
        self._message_id += 1
        message: dict[str, Any] = {
            "message_id": self._message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": user,
        }
        if text is not None:
            message["text"] = text
        if command is not None:
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if photo is not None:
            message["photo"] = photo
        return {"message": message}

    def _click(self, user: dict[str, Any], chat: dict[str, Any], data: str) -> dict[str, Any]:
        self._message_id += 1
        shown = {
            "message_id": self._message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": BOT_USER,
            "text": "…",
        }
        query = {
            "id": f"cq{self._message_id}",
            "from": user,
            "message": shown,
            "chat_instance": str(chat["id"]),
            "data": data,
        }
        return {"callback_query": query}


def _photo(buyer_id: int) -> list[dict[str, Any]]:
    return [
        {
            "file_id": f"AgAD{buyer_id}{size}",
            "file_unique_id": f"AQAD{buyer_id}{size}",
            "width": size,
            "height": size,
            "file_size": size * 40,
        }
        for size in (90, 320, 1280)
    ]


class TimedWorker(InboxWorker):
    """The production InboxWorker, noting when each update has been handled (its replies sent)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.done_at: dict[int, float] = {}
        self.failed: set[int] = set()
        self.all_done = asyncio.Event()
        self.expected = 0

    async def dispatch(self, item: InboxUpdate, rider: Rider | None = None) -> bool:
        finished = await super().dispatch(item, rider)
        self.done_at[item.update_id] = time.perf_counter()
        if finished:
            self.failed.discard(item.update_id)
        else:  # its error is recorded; a retry that succeeds takes it off again
            self.failed.add(item.update_id)
        if len(self.done_at) >= self.expected:
            self.all_done.set()
        return finished


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run_bot_phase(
    database_url: str,
    workdir: Path,
    buyer_ids: list[int],
    script: Script,
    rate: float | None,
    profiler: Any = None,
    runtime: Runtime = "aiogram",
) -> dict[str, Any]:
    """Feeds the buyers' conversations to the bot on `runtime`, all at once (rate None) or at
    `rate`/s; `profiler` (start/stop) runs from the first delivery until the last update is
    handled."""
    async with bench_bot(database_url, workdir, runtime) as bench:
        await seed_orders(bench.deps, buyer_ids)
        updates = script.interleaved(buyer_ids) if rate is None else script.staggered(buyer_ids)
        worker = TimedWorker(bench.deps, bench.turns, "bench")
        worker.expected = len(updates)
        intake = PollingIntake(bench.deps, bench.bot, worker, ALLOWED_UPDATES, timeout=1)
        tasks = [
            asyncio.create_task(worker.run_forever(idle=0.5)),
            asyncio.create_task(intake.run_forever()),
        ]
        calls_before = 0
        if rate is not None:
            calls_before = await _warm_up(bench, worker, script)
            worker.expected = len(updates)
        if profiler is not None:
            profiler.start()
        started = time.perf_counter()
        cpu_started = time.process_time()
        main_started = time.thread_time()
        try:
            if rate is None:
                bench.session.deliver(updates)
            else:
                await _deliver_at(bench.session, updates, rate)
            await asyncio.wait_for(worker.all_done.wait(), timeout=600)
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            main_cpu = time.thread_time() - main_started
        finally:
            if profiler is not None:
                profiler.stop()
            worker.stop()  # the lanes finish, marking their last updates done
            await asyncio.wait(tasks[:1], timeout=30)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        latencies = [
            (worker.done_at[uid] - bench.session.delivered_at[uid]) * 1000 for uid in worker.done_at
        ]
        async with bench.deps.uow() as uow:
            pending = await uow.inbox.backlog()
        async with bench.deps.engine.connect() as connection:
            filed = (
                await connection.execute(
                    select(func.count())
                    .select_from(CaseRow)
                    .where(CaseRow.buyer_id.between(buyer_ids[0], buyer_ids[-1]))
                )
            ).scalar_one()
        # A failed update counts as not handled (the table marks the run failed).
        handled = len(updates) - len(worker.failed)
        return {
            "updates": len(updates),
            "handled": handled,
            "failed_updates": len(worker.failed),
            "seconds": round(elapsed, 3),
            "updates_per_s": round(handled / elapsed, 1),
            # Updates per second of this process's CPU (all its threads): what the rate would be
            # with a core to itself, which a shared machine's wall clock does not show.
            "updates_per_cpu_s": round(handled / cpu, 1),
            "cpu_ms_per_update": round(cpu * 1000 / max(handled, 1), 2),
            # The event loop's thread alone; the rest is the database driver's threads.
            "main_thread_cpu_ms_per_update": round(main_cpu * 1000 / max(handled, 1), 2),
            "p50_ms": round(percentile(latencies, 0.50), 2),
            "p99_ms": round(percentile(latencies, 0.99), 2),
            "mean_ms": round(statistics.fmean(latencies), 2),
            "cases_filed": int(filed),
            "inbox_pending": pending,
            "buyers": len(buyer_ids),
            "bot_api_calls": len(bench.session.calls) - calls_before,
        }


async def _warm_up(bench: Any, worker: TimedWorker, script: Script) -> int:
    """Has the bot handle the warm-up conversations before the steady phase's clock starts: a
    bot that has been running has rendered its templates and compiled its statements before,
    and the first updates after a start paid for that (the slowest of a steady run were all
    within its first 0.3 s). Returns the Bot API calls made so far."""
    await seed_orders(bench.deps, WARM_UP_BUYERS)
    warm = script.staggered(WARM_UP_BUYERS)
    worker.expected = len(warm)
    bench.session.deliver(warm)
    await asyncio.wait_for(worker.all_done.wait(), timeout=600)
    if worker.failed:
        raise RuntimeError(f"{len(worker.failed)} warm-up updates failed")
    worker.done_at.clear()
    worker.all_done.clear()
    return len(bench.session.calls)


async def _deliver_at(
    session: InProcessTelegram, updates: list[dict[str, Any]], rate: float
) -> None:
    """Hands updates to getUpdates one by one, `rate` a second, on a fixed schedule."""
    start = time.perf_counter()
    for index, update in enumerate(updates):
        delay = start + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        session.deliver([update])


class EchoLoad:
    """Feeds a bare echo bot `count` scripted updates at a time until it has run
    `min_seconds` (a run of a fraction of a second swung by 2×); its handlers call `one()`."""

    def __init__(self, session: InProcessTelegram, count: int) -> None:
        self.session = session
        self.count = count
        self.handled = 0
        self.expected = 0
        self.finished = asyncio.Event()

    def one(self) -> None:
        self.handled += 1
        if self.handled >= self.expected:
            self.finished.set()

    async def run(self, min_seconds: float) -> dict[str, Any]:
        script = Script()
        buyers = list(range(5_000_000, 5_000_000 + self.count // STEPS + 1))
        started = time.perf_counter()
        cpu_started = time.process_time()
        while time.perf_counter() - started < min_seconds:
            self.finished.clear()
            self.expected += self.count
            self.session.deliver(script.interleaved(buyers)[: self.count])
            await asyncio.wait_for(self.finished.wait(), timeout=600)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        return {
            "updates": self.expected,
            "seconds": round(elapsed, 3),
            "updates_per_s": round(self.expected / elapsed, 1),
            "updates_per_cpu_s": round(self.expected / cpu, 1),
        }


async def baseline(count: int, min_seconds: float) -> dict[str, Any]:
    """A bare aiogram echo bot on aiogram's own polling, fed as `EchoLoad` says."""
    session = RecordingSession()
    bot = Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    router = Router()
    load = EchoLoad(session, count)

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "收到")
        load.one()

    @router.callback_query()
    async def press(query: CallbackQuery) -> None:
        await query.answer()
        if query.message is not None:
            await bot.send_message(query.message.chat.id, query.data or "")
        load.one()

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    polling = asyncio.create_task(
        dispatcher.start_polling(
            bot, handle_signals=False, polling_timeout=1, close_bot_session=False
        )
    )
    try:
        return await load.run(min_seconds)
    finally:
        polling.cancel()
        await asyncio.gather(polling, return_exceptions=True)


def _buyers(first: int, count: int) -> list[int]:
    return list(range(first, first + count))


async def run(
    backend: str,
    buyers: int,
    steady_seconds: float,
    workdir: Path,
    runtime: Runtime = "aiogram",
) -> dict[str, Any]:
    """Saturation, then a steady phase at half the rate saturation reached, on one fresh
    database of `backend`, the bot on `runtime`: the latency of a bot with headroom, not of one
    falling behind."""
    script = Script()
    async with fresh_database(backend) as url:
        first = _buyers(1_000_001, buyers)
        saturation = await run_bot_phase(url, workdir, first, script, None, runtime=runtime)
        rate = max(1.0, saturation["updates_per_s"] / 2)
        steady_buyers = max(1, round(steady_seconds * rate / STEPS))
        more = _buyers(2_000_001, steady_buyers)
        steady = await run_bot_phase(url, workdir, more, script, rate, runtime=runtime)
    return {
        "backend": backend,
        "runtime": runtime,
        "updates_per_s": saturation["updates_per_s"],
        "updates_per_cpu_s": saturation["updates_per_cpu_s"],
        "saturation": saturation,
        "steady": {**steady, "rate": round(rate, 1)},
    }
