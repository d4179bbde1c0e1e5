"""Scale-out: one worker process against two on one PostgreSQL database.

The buyers' filing conversations (bench/inbound.py's script) are stored in the inbox first, as
the webhook would store them; then one, or two, bot processes (`python -m bench.scale_out`,
each the production InboxWorker and dispatcher with its Bot API answered in process) work the
inbox until it is empty. Each process starts, connects and warms up before the clock starts
(it says "ready"; the benchmark answers "go" to all at once). The rate is updates handled per
second from "go" until the last one is handled; every update must be handled exactly once
(each process lists the updates it handled) and every buyer must have a case.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import func, select

from bench.env import bench_bot, fresh_database, seed_orders
from bench.inbound import STEPS, Script, TimedWorker
from bot.inbox import store_updates
from storage.models import CaseRow

CORES = psutil.cpu_count() or 1


async def _store(url: str, workdir: Path, buyers: list[int], script: Script) -> int:
    async with bench_bot(url, workdir) as bench:
        await seed_orders(bench.deps, buyers)
        updates = script.interleaved(buyers)
        for start in range(0, len(updates), 100):  # getUpdates' batches
            await store_updates(bench.deps, updates[start : start + 100])
    return len(updates)


async def _cases(url: str, workdir: Path, buyers: list[int]) -> int:
    async with bench_bot(url, workdir) as bench, bench.deps.engine.connect() as connection:
        query = (
            select(func.count())
            .select_from(CaseRow)
            .where(CaseRow.buyer_id.between(buyers[0], buyers[-1]))
        )
        return int((await connection.execute(query)).scalar_one())


def _busy_cpu_s() -> float:
    """CPU seconds the whole machine has spent busy (every process, every core)."""
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


async def _processes(url: str, count: int) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Starts `count` worker processes, lets them go at once, returns what each reports, and
    the machine's busy CPU seconds and wall seconds from "go" until the last one exits."""
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.scale_out", url, f"scale-{n}",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )
        for n in range(count)
    ]  # fmt: skip
    try:
        for child in children:
            line = await asyncio.wait_for(_pipe(child.stdout).readline(), timeout=120)
            if line.strip() != b"ready":
                raise RuntimeError(f"a worker process did not start: {line!r}")
        went, busy = time.time(), _busy_cpu_s()
        for child in children:
            _pipe(child.stdin).write(b"go\n")
            await _pipe(child.stdin).drain()
        reports = []
        for child in children:
            out, _ = await asyncio.wait_for(child.communicate(), timeout=600)
            reports.append({**json.loads(out.decode().strip().splitlines()[-1]), "went": went})
        machine = {"busy_cpu_s": _busy_cpu_s() - busy, "wall_s": time.time() - went}
        return reports, machine
    finally:
        for child in children:
            if child.returncode is None:
                child.kill()
                await child.wait()


def _pipe(pipe: Any) -> Any:
    if pipe is None:  # asked for with PIPE: never None
        raise RuntimeError("a worker process has no pipe")
    return pipe


async def _one_run(url: str, workdir: Path, processes: int, buyers: list[int]) -> dict[str, Any]:
    updates = await _store(url, workdir, buyers, Script())
    reports, machine = await _processes(url, processes)
    went = reports[0]["went"]
    elapsed = max(report["last_done"] for report in reports) - went
    counts = Counter(uid for report in reports for uid in report["handled"])
    workers_cpu = sum(report["cpu_s"] for report in reports)
    return {
        "processes": processes,
        "updates": updates,
        "buyers": len(buyers),
        "seconds": round(elapsed, 3),
        "updates_per_s": round(sum(counts.values()) / elapsed, 1),
        "cpu_ms_per_update": round(workers_cpu * 1000 / max(len(counts), 1), 2),
        # How much of the machine was busy: with PostgreSQL on the same two cores, what one
        # process leaves idle is all a second one can add.
        "machine_busy": round(machine["busy_cpu_s"] / (machine["wall_s"] * CORES), 3),
        # The CPU the rest of the machine spent per update: the PostgreSQL server, mostly.
        "others_cpu_ms_per_update": round(
            max(machine["busy_cpu_s"] - workers_cpu, 0.0) * 1000 / max(len(counts), 1), 2
        ),
        "handled_once": sum(1 for n in counts.values() if n == 1),
        "handled_twice": sum(1 for n in counts.values() if n > 1),
        "failed_updates": sum(report["failed"] for report in reports),
        "per_process": [len(report["handled"]) for report in reports],
        "cases_filed": await _cases(url, workdir, buyers),
    }


async def run(buyers: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as folder:
        workdir = Path(folder)
        async with fresh_database("postgres") as url:
            # Script() numbers updates from 1 each run: each run gets its own database.
            one = await _one_run(url, workdir, 1, list(range(6_000_001, 6_000_001 + buyers)))
        async with fresh_database("postgres") as url:
            two = await _one_run(url, workdir, 2, list(range(7_000_001, 7_000_001 + buyers)))
    return {
        "buyers": buyers,
        "steps": STEPS,
        "one": one,
        "two": two,
        "ratio": round(two["updates_per_s"] / one["updates_per_s"], 2),
    }


# -- one worker process ----------------------------------------------------------------------


async def _work(url: str, worker_id: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-worker-") as folder:
        async with bench_bot(url, Path(folder)) as bench:
            worker = TimedWorker(bench.deps, bench.turns, worker_id)
            worker.expected = sys.maxsize  # it stops when the inbox is empty instead
            async with bench.deps.uow() as uow:  # connected and warm before the clock starts
                await uow.inbox.backlog()
            sys.stdout.write("ready\n")
            sys.stdout.flush()
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
            cpu_started = time.process_time()
            task = asyncio.create_task(worker.run_forever(idle=0.05))
            while True:
                await asyncio.sleep(0.05)
                async with bench.deps.uow() as uow:
                    if await uow.inbox.backlog() == 0:
                        break
            worker.stop()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(task, timeout=30)
            cpu = time.process_time() - cpu_started
    # perf_counter has no common origin across processes; the wall clock does.
    offset = time.time() - time.perf_counter()
    done = [at + offset for at in worker.done_at.values()]
    handled = [uid for uid in worker.done_at if uid not in worker.failed]
    return {
        "handled": handled,
        "failed": len(worker.failed),
        "cpu_s": cpu,
        "last_done": max(done, default=time.time()),
    }


if __name__ == "__main__":
    report = asyncio.run(_work(sys.argv[1], sys.argv[2]))
    sys.stdout.write(json.dumps(report) + "\n")
