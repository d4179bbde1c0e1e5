"""`make bench`: runs every benchmark, prints one table with each target met or not, and writes
bench/results/latest.json. `--quick` runs smaller sizes (under a minute once the seeded
databases are cached); `--tiny` only proves the scripts work (the test suite runs it).

Each section runs in its own child process (`python -m bench.run --section NAME`), so one
section's imports, caches and garbage do not colour the next one's numbers. A tiny run's numbers
mean nothing, so it runs every section in one child (`--section A --section B ...`) and imports
the bot once, not once a section.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"

SIZES: dict[str, dict[str, Any]] = {
    "full": {
        "buyers": 150, "steady_s": 10.0, "messages": 3000, "chats": 1000,
        "small": 10_000, "big": 1_000_000, "memory_cases": 100_000, "memory_idle_s": 3.0,
    },
    "quick": {
        "buyers": 60, "steady_s": 5.0, "messages": 300, "chats": 100,
        "small": 10_000, "big": 100_000, "memory_cases": 10_000, "memory_idle_s": 3.0,
    },
    "tiny": {
        "buyers": 3, "steady_s": 0.3, "messages": 6, "chats": 3,
        "small": 200, "big": 2_000, "memory_cases": 200, "memory_idle_s": 0.5,
    },
}  # fmt: skip


async def section(name: str, size: dict[str, Any], workdir: Path) -> dict[str, Any]:
    # Imported here: the parent process only prints, so it need not load the bot.
    from bench import deadlines, inbound, memory, outbound
    from bench.env import postgres_reachable

    if name == "inbound-sqlite":
        return await inbound.run("sqlite", size["buyers"], size["steady_s"], 100.0, workdir)
    if name == "inbound-postgres":
        if not await postgres_reachable():
            return {"skipped": "PostgreSQL unreachable (TEST_POSTGRES_URL)"}
        return await inbound.run("postgres", size["buyers"], size["steady_s"], 100.0, workdir)
    if name == "baseline":
        return await inbound.baseline(size["buyers"] * inbound.STEPS)
    if name == "outbound":
        return await outbound.run(size["messages"], size["chats"], workdir)
    if name == "deadlines":
        return await deadlines.run(size["small"], size["big"], workdir)
    if name == "memory":
        return await memory.run(size["memory_cases"], workdir, size["memory_idle_s"])
    if name == "stats":
        from bench import stats

        return await stats.run_all(size["big"])
    raise ValueError(name)


SECTIONS = [
    "inbound-sqlite", "inbound-postgres", "baseline", "outbound", "deadlines", "memory", "stats"
]


@dataclass
class Row:
    what: str
    value: str
    target: str
    met: bool | None  # None: not measured


def rows(results: dict[str, Any]) -> list[Row]:
    """The table: every target of the issue, with the measured value."""
    out: list[Row] = []
    sqlite_in = results.get("inbound-sqlite", {})
    pg_in = results.get("inbound-postgres", {})
    base = results.get("baseline", {})
    sat = sqlite_in.get("saturation", {})
    base_rate = base.get("updates_per_s")
    rate = sat.get("updates_per_s")
    out.append(_row("inbound SQLite, updates/s at saturation", rate, ">= 600", rate, 600))
    if rate and base_rate:
        ratio = rate / base_rate
        out.append(
            Row(
                f"inbound SQLite / bare aiogram ({base_rate:.0f}/s)",
                f"{ratio:.3f}",
                ">= 0.18",
                ratio >= 0.18,
            )
        )
    if pg_in.get("saturation"):
        pg = pg_in["saturation"]["updates_per_s"]
        out.append(
            _row("inbound PostgreSQL, updates/s at saturation", pg, "(reported)", None, None)
        )
    for label, data in (("SQLite", sqlite_in), ("PostgreSQL", pg_in)):
        steady = data.get("steady")
        if steady:
            out.append(
                Row(
                    f"inbound {label}, p50 at 100 updates/s",
                    f"{steady['p50_ms']:.1f} ms",
                    "(reported)",
                    None,
                )
            )
            out.append(
                _row(
                    f"inbound {label}, p99 at 100 updates/s",
                    steady["p99_ms"],
                    "<= 25 ms",
                    -steady["p99_ms"],
                    -25,
                    unit=" ms",
                )
            )
    out_ = results.get("outbound", {})
    if "messages_per_s" in out_:
        out.append(
            _row(
                "outbound messages/s sustained",
                out_["messages_per_s"],
                ">= 27",
                out_["messages_per_s"],
                27,
            )
        )
        out.append(
            _row(
                "outbound 429s provoked",
                out_["too_many_requests"],
                "0",
                -out_["too_many_requests"],
                0,
            )
        )
        out.append(_row("outbound notifications lost", out_["lost"], "0", -out_["lost"], 0))
    dl = results.get("deadlines", {})
    if "ratio" in dl:
        small, big = dl["small"], dl["big"]
        out.append(
            _row(
                f"deadline tick, {small['cases']:,} cases",
                small["tick_median_ms"],
                "(reported)",
                None,
                None,
                unit=" ms",
            )
        )
        out.append(
            _row(
                f"deadline tick, {big['cases']:,} cases",
                big["tick_median_ms"],
                "<= 10 ms",
                -big["tick_median_ms"],
                -10,
                unit=" ms",
            )
        )
        out.append(_row("deadline tick ratio big/small", dl["ratio"], "<= 2", -dl["ratio"], -2))
    mem = results.get("memory", {})
    if "full_mb" in mem:
        out.append(
            _row(
                "RSS, empty database",
                mem["empty_mb"],
                "<= 150 MB",
                -mem["empty_mb"],
                -150,
                unit=" MB",
            )
        )
        if "bare_aiogram_mb" in mem:
            # The floor under the target: what aiogram alone holds, measured beside the bot.
            bare_start = mem["bare_aiogram_start_s"]
            for what, key, unit in (
                ("RSS, bare aiogram echo bot (same run)", "bare_aiogram_mb", " MB"),
                ("RSS, empty database, above bare aiogram", "above_bare_mb", " MB"),
                (f"start-up to first poll (bare aiogram: {bare_start:.1f} s)", "start_s", " s"),
            ):
                out.append(_row(what, mem[key], "(reported)", None, None, unit=unit))
        out.append(
            _row(
                f"RSS, {mem['cases']:,} cases and drafts",
                mem["full_mb"],
                "<= 150 MB",
                -mem["full_mb"],
                -150,
                unit=" MB",
            )
        )
        out.append(
            _row("RSS growth", mem["growth_mb"], "<= 20 MB", -mem["growth_mb"], -20, unit=" MB")
        )
    from bench import stats

    out.extend(stats.rows(results.get("stats", {}), _row))
    return out  # fmt: skip


def _row(what: str, value: Any, target: str, score: Any, bound: Any, unit: str = "") -> Row:
    if value is None:
        return Row(what, "not measured", target, None)
    met = None if bound is None or score is None else score >= bound
    shown = f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"
    return Row(what, shown + unit, target, met)


def table(results: dict[str, Any]) -> str:
    lines = ["| measure | value | target | met |", "|---|---|---|---|"]
    for row in rows(results):
        met = "—" if row.met is None else ("yes" if row.met else "NO")
        lines.append(f"| {row.what} | {row.value} | {row.target} | {met} |")
    for name, data in results.items():
        if isinstance(data, dict) and "skipped" in data:
            lines.append(f"| {name} | skipped: {data['skipped']} | | |")
        if isinstance(data, dict) and "error" in data:
            lines.append(f"| {name} | FAILED: {data['error'][-200:]} | | |")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    return {
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "load_1min_at_start": load,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--section", choices=SECTIONS, action="append")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args()
    mode = "tiny" if args.tiny else "quick" if args.quick else "full"
    if args.section:
        _sections_here(args.section, mode)
        return
    started = datetime.now(UTC)
    results: dict[str, Any] = {"mode": mode, "machine": machine()}
    for group in [SECTIONS] if mode == "tiny" else [[name] for name in SECTIONS]:
        sys.stderr.write(f"== {', '.join(group)} ({mode})\n")
        results.update(_run_sections(group, mode))
    results["seconds"] = round((datetime.now(UTC) - started).total_seconds(), 1)
    results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    info = results["machine"]
    sys.stdout.write(
        f"\n{mode} run, {results['seconds']} s; {info['cores']} cores, {info['cpu']}, "
        f"load {info['load_1min_at_start']}\n\n{table(results)}\n\nJSON: {args.output}\n"
    )


# Seconds one section may take before it counts as failed; the full deadline section seeds a
# million cases on its first run (about 3 minutes here).
SECTION_TIMEOUT = {"tiny": 180, "quick": 300, "full": 1200}


def _sections_here(names: list[str], mode: str) -> None:
    """Runs the sections in this process; writes one JSON line {name: result} after each.

    Alone, a section that fails ends the process (its error is the stderr); among others, its
    error is its result and the next one runs.
    """
    for name in names:
        with tempfile.TemporaryDirectory(prefix="bench-") as folder:
            try:
                result = asyncio.run(section(name, SIZES[mode], Path(folder)))
            except Exception:
                if len(names) == 1:
                    raise
                result = {"error": traceback.format_exc()}
        sys.stdout.write(json.dumps({name: result}) + "\n")
        sys.stdout.flush()


def _run_sections(names: list[str], mode: str) -> dict[str, dict[str, Any]]:
    """Runs the sections in one child process; each one missing from its output is an error."""
    flag = [] if mode == "full" else [f"--{mode}"]
    command = [sys.executable, "-m", "bench.run", *flag]
    for name in names:
        command += ["--section", name]
    timeout = SECTION_TIMEOUT[mode] * len(names)
    try:
        done = subprocess.run(  # noqa: S603
            command, capture_output=True, text=True, check=False, timeout=timeout
        )
        output, problem = done.stdout, done.stderr.strip() or f"exit {done.returncode}"
    except subprocess.TimeoutExpired as expired:
        # A section that hangs is reported in the table, not left to hang the whole run.
        raw = expired.stdout or ""
        output = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
        problem = f"no result within {SECTION_TIMEOUT[mode]} s a section"
    results: dict[str, dict[str, Any]] = {}
    for line in output.splitlines():
        try:
            reported = json.loads(line)
        except ValueError:
            continue  # not a result line
        if isinstance(reported, dict):
            results.update({name: reported[name] for name in names if name in reported})
    return {name: results.get(name) or {"error": problem} for name in names}


if __name__ == "__main__":
    main()
