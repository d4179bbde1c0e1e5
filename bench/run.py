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

from bench import phases

RESULTS = Path(__file__).parent / "results"

SIZES: dict[str, dict[str, Any]] = {
    "full": {
        "buyers": 150, "steady_s": 10.0, "baseline_s": 3.0, "profile_buyers": 60,
        "scale_buyers": 150, "messages": 3000, "chats": 1000,
        "small": 10_000, "big": 1_000_000, "memory_cases": 100_000, "memory_idle_s": 3.0,
        "shots_per_layout": 5, "hashes": 1_000_000, "screens": 60,
    },
    "quick": {
        "buyers": 60, "steady_s": 5.0, "baseline_s": 2.0, "profile_buyers": 30,
        "scale_buyers": 60, "messages": 300, "chats": 100,
        "small": 10_000, "big": 100_000, "memory_cases": 10_000, "memory_idle_s": 3.0,
        "shots_per_layout": 2, "hashes": 100_000, "screens": 24,
    },
    "tiny": {
        "buyers": 3, "steady_s": 0.3, "baseline_s": 0.1, "profile_buyers": 2,
        "scale_buyers": 3, "messages": 6, "chats": 3,
        "small": 200, "big": 2_000, "memory_cases": 200, "memory_idle_s": 0.5,
        "shots_per_layout": 1, "hashes": 1_000, "screens": 1,
    },
}  # fmt: skip


async def section(name: str, size: dict[str, Any], workdir: Path) -> dict[str, Any]:
    # Imported here: the parent process only prints, so it need not load the bot.
    from bench import deadlines, inbound, memory, outbound, phases, scale_out
    from bench.env import postgres_reachable

    if name in ("inbound-postgres", "scale-out") and not await postgres_reachable():
        return {"skipped": "PostgreSQL unreachable (TEST_POSTGRES_URL)"}
    if name == "inbound-sqlite":
        return await inbound.run("sqlite", size["buyers"], size["steady_s"], workdir)
    if name == "inbound-postgres":
        return await inbound.run("postgres", size["buyers"], size["steady_s"], workdir)
    if name == "baseline":
        return await inbound.baseline(size["buyers"] * inbound.STEPS, size["baseline_s"])
    if name == "inbound-sqlite-ptb":
        return await inbound.run("sqlite", size["buyers"], size["steady_s"], workdir, "ptb")
    if name == "baseline-ptb":
        from bench import inbound_ptb

        return await inbound_ptb.baseline(size["buyers"] * inbound.STEPS, size["baseline_s"])
    if name == "profile":
        return await phases.run(size["profile_buyers"], workdir)
    if name == "scale-out":
        return await scale_out.run(size["scale_buyers"])
    if name == "outbound":
        return await outbound.run(size["messages"], size["chats"], workdir)
    if name == "deadlines":
        return await deadlines.run(size["small"], size["big"], workdir)
    if name == "memory":
        return await memory.run(size["memory_cases"], workdir, size["memory_idle_s"])
    if name == "stats":
        from bench import stats

        return await stats.run_all(size["big"])
    if name == "fingerprints":
        from bench import fingerprints

        return await fingerprints.run(size["shots_per_layout"], size["hashes"], workdir)
    if name == "screen-reading":
        from bench import screen_reading

        return await asyncio.to_thread(screen_reading.run, size["screens"], workdir)
    raise ValueError(name)


SECTIONS = [
    "inbound-sqlite", "inbound-postgres", "baseline", "inbound-sqlite-ptb", "baseline-ptb",
    "profile", "scale-out", "outbound", "deadlines", "memory", "stats", "fingerprints",
    "screen-reading",
]  # fmt: skip


@dataclass
class Row:
    what: str
    value: str
    target: str
    met: bool | None  # None: not measured, or reported only


def rows(results: dict[str, Any]) -> list[Row]:
    """The table: every target of the issue, with the measured value."""
    out: list[Row] = []
    base = results.get("baseline", {})
    for section, label, floor in (
        ("inbound-sqlite", "SQLite", 500),
        ("inbound-postgres", "PostgreSQL", 400),
    ):
        out += _inbound_rows(results.get(section, {}), label, floor, base)
    # The python-telegram-bot runtime beside its own bare Application; the targets are
    # aiogram's, so these are reported, except that every buyer must have filed.
    out += _inbound_rows(
        results.get("inbound-sqlite-ptb", {}), "SQLite on ptb", None,
        results.get("baseline-ptb", {}), "bare PTB",
    )
    out += _scale_out_rows(results.get("scale-out", {}))
    out += _outbound_rows(results.get("outbound", {}))
    out += _deadline_rows(results.get("deadlines", {}))
    out += _memory_rows(results.get("memory", {}))
    from bench import stats

    out += stats.rows(results.get("stats", {}), _scored_row)
    from bench import fingerprints

    out += fingerprints.table_rows(results.get("fingerprints", {}), _row)
    from bench import screen_reading

    out += screen_reading.rows(results.get("screen-reading", {}), _row)
    return out


def _inbound_rows(
    data: dict[str, Any],
    label: str,
    floor: int | None,
    base: dict[str, Any],
    bare: str = "bare aiogram",
) -> list[Row]:
    """The inbound rows of one run; `floor` None: its rate and latencies are reported only."""
    sat = data.get("saturation")
    if not sat:
        return []
    rate = sat["updates_per_s"]
    targeted = floor is not None
    cpu_bound = label == "SQLite"
    out = [
        _row(
            f"inbound {label}, updates/s at saturation",
            rate,
            f">= {floor}" if targeted else "(reported)",
            rate >= floor if floor is not None else None,
        ),
        _row(
            f"inbound {label}, CPU per update at saturation",
            sat["cpu_ms_per_update"],
            "<= 2 ms" if cpu_bound else "(reported)",
            sat["cpu_ms_per_update"] <= 2 if cpu_bound else None,
            unit=" ms",
        ),
    ]
    base_rate = base.get("updates_per_s")
    if label != "PostgreSQL" and base_rate:
        ratio = rate / base_rate
        what = f"inbound {label} / {bare} ({base_rate:,.0f}/s over {base['seconds']:.1f} s)"
        met = ratio >= 0.15 if targeted else None
        out.append(Row(what, f"{ratio:.3f}", ">= 0.15" if targeted else "(reported)", met))
    steady = data.get("steady")
    if steady:
        at = f"at {steady['rate']:,.0f} updates/s (half of saturation)"
        for q, bound in (("p50", 10), ("p99", 50)):
            value = steady[f"{q}_ms"]
            target = f"<= {bound} ms" if targeted else "(reported)"
            met = value <= bound if targeted else None
            out.append(_row(f"inbound {label}, {q} {at}", value, target, met, " ms"))
    for phase in ("saturation", "steady"):
        got = data.get(phase)
        if got:
            complete = got["cases_filed"] >= got["buyers"] and not _errors(got)
            value = (
                f"{got['cases_filed']}/{got['buyers']} filed, {got['failed_updates']} failed, "
                f"{got['inbox_pending']} left"
            )
            out.append(
                Row(f"inbound {label}, {phase}: every buyer filed", value, "all, 0, 0", complete)
            )
    return out


def _errors(phase: dict[str, Any]) -> int:
    return int(phase.get("failed_updates", 0)) + int(phase.get("inbox_pending", 0))


def _scale_out_rows(data: dict[str, Any]) -> list[Row]:
    if "ratio" not in data:
        return []
    one, two = data["one"], data["two"]
    return [
        _row(
            "scale-out, 1 worker process on PostgreSQL, updates/s",
            one["updates_per_s"],
            "(reported)",
            None,
        ),
        _row(
            "scale-out, 2 worker processes on PostgreSQL, updates/s",
            two["updates_per_s"],
            "(reported)",
            None,
        ),
        Row("scale-out, 2 processes / 1", f"{data['ratio']:.2f}", ">= 1.6", data["ratio"] >= 1.6),
        Row(
            "scale-out, the machine's CPU busy, 1 and 2 processes",
            f"{one.get('machine_busy', 0):.0%}, {two.get('machine_busy', 0):.0%}",
            "(reported)",
            None,
        ),
        Row(
            "scale-out, CPU per update outside the workers (PostgreSQL), 1 and 2 processes",
            f"{one.get('others_cpu_ms_per_update', 0):.2f}, "
            f"{two.get('others_cpu_ms_per_update', 0):.2f} ms",
            "(reported)",
            None,
        ),
        Row(
            "scale-out, every update handled once",
            f"{two['handled_once']}/{two['updates']} once, {two['handled_twice']} twice, "
            f"{two['cases_filed']}/{two['buyers']} filed",
            "all once",
            _scale_out_complete(data),
        ),
    ]


def _scale_out_complete(data: dict[str, Any]) -> bool:
    return all(
        run["handled_once"] == run["updates"]
        and run["handled_twice"] == 0
        and run["cases_filed"] >= run["buyers"]
        for run in (data["one"], data["two"])
    )


def _outbound_rows(data: dict[str, Any]) -> list[Row]:
    if "messages_per_s" not in data:
        return []
    rate, refused, lost = data["messages_per_s"], data["too_many_requests"], data["lost"]
    return [
        _row("outbound messages/s sustained", rate, ">= 27", rate >= 27),
        _row("outbound 429s provoked", refused, "0", refused == 0),
        _row("outbound notifications lost", lost, "0", lost == 0),
    ]


def _deadline_rows(data: dict[str, Any]) -> list[Row]:
    if "ratio" not in data:
        return []
    small, big = data["small"], data["big"]
    return [
        _row(
            f"deadline tick, {small['cases']:,} cases",
            small["tick_median_ms"],
            "(reported)",
            None,
            " ms",
        ),
        _row(
            f"deadline tick, {big['cases']:,} cases",
            big["tick_median_ms"],
            "<= 10 ms",
            big["tick_median_ms"] <= 10,
            " ms",
        ),
        _row("deadline tick ratio big/small", data["ratio"], "<= 2", data["ratio"] <= 2),
    ]


def _memory_rows(data: dict[str, Any]) -> list[Row]:
    if "full_mb" not in data:
        return []
    above, later = data["above_bare_mb"], data["start_s"] - data["bare_aiogram_start_s"]
    return [
        _row("RSS, bare aiogram echo bot (same run)", data["bare_aiogram_mb"], "(reported)", None,
             " MB"),
        _row("RSS, empty database", data["empty_mb"], "(reported)", None, " MB"),
        _row("RSS, empty database, above bare aiogram", above, "<= 20 MB", above <= 20, " MB"),
        _row(
            f"start-up to first poll, above bare aiogram ({data['bare_aiogram_start_s']:.1f} s)",
            round(later, 2), "<= 1 s", later <= 1, " s",
        ),
        _row(f"RSS, {data['cases']:,} cases and drafts", data["full_mb"], "(reported)", None,
             " MB"),
        _row("RSS growth", data["growth_mb"], "<= 20 MB", data["growth_mb"] <= 20, " MB"),
    ]  # fmt: skip


def _row(what: str, value: Any, target: str, met: bool | None, unit: str = "") -> Row:
    if value is None:
        return Row(what, "not measured", target, None)
    shown = f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"
    return Row(what, shown + unit, target, met)


def _scored_row(what: str, value: Any, target: str, score: Any, bound: Any, unit: str = "") -> Row:
    """A row met when `score >= bound` (bench/stats.py's rows are made this way)."""
    met = None if bound is None or score is None else score >= bound
    return _row(what, value, target, met, unit)


def failures(results: dict[str, Any]) -> list[str]:
    """Why the run as a whole failed: a buyer without a case, an update that ended in an error
    or was left unhandled, an update handled twice, a section that did not finish."""
    found: list[str] = []
    for name in ("inbound-sqlite", "inbound-postgres", "inbound-sqlite-ptb"):
        for phase in ("saturation", "steady"):
            got = results.get(name, {}).get(phase)
            if got and (got["cases_filed"] < got["buyers"] or _errors(got)):
                found.append(
                    f"{name} {phase}: {got['cases_filed']}/{got['buyers']} filed, "
                    f"{got['failed_updates']} failed, {got['inbox_pending']} left"
                )
    scale = results.get("scale-out", {})
    if "ratio" in scale and not _scale_out_complete(scale):
        found.append("scale-out: not every update handled exactly once")
    for name, data in results.items():
        if isinstance(data, dict) and "error" in data:
            found.append(f"{name}: did not finish")
    return found  # fmt: skip


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
    results["failed"] = failures(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    info = results["machine"]
    verdict = "RUN FAILED: " + "; ".join(results["failed"]) if results["failed"] else "run complete"
    sys.stdout.write(
        f"\n{mode} run, {results['seconds']} s; {info['cores']} cores, {info['cpu']}, "
        f"load {info['load_1min_at_start']}\n\n{table(results)}\n\n"
        f"{phases.table(results.get('profile', {}))}\n\n{verdict}\nJSON: {args.output}\n"
    )
    if results["failed"]:
        sys.exit(1)


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
