"""Where one update's CPU goes: the inbound SQLite saturation phase, run once more under
pyinstrument (sampling the event loop's thread every half millisecond), each sample put in the
phase of the update's path it was taken in.

Phases, from the stack of each sample: intake (getUpdates and storing the batch), claim (the
inbox lane's claim and done mark), then within the turn the innermost of send (a Bot API call:
aiogram's client and the in-process answer), rendering (templates, bot/render.py), dialog
(dialogs/, cases/) and SQL (storage/, SQLAlchemy, the drivers), else dispatch (aiogram's
dispatcher, pydantic, the routers); sent mark (the outbox row marked sent after its call);
other (the event loop itself, the benchmark's own bookkeeping). Samples waiting in the
selector are idle and left out. The database driver's own thread is not sampled: its CPU is the
process's CPU less the event loop thread's, shown as "SQL (driver thread)".

The same conversations run twice on one database: unprofiled, for the CPU per update (the event
loop's thread and the whole process), then under the profiler, for the shares. Milliseconds per
update are each share of the unprofiled event loop thread's CPU. The profiler's own cost grows
with the number of calls, so code of many small calls shows a little larger than it is.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

PHASES = [
    "intake", "claim", "dispatch", "dialog", "SQL", "rendering", "send", "sent mark", "other",
]  # fmt: skip
DRIVER_THREAD = "SQL (driver thread)"

# (phase, path fragment, function or None for any): the innermost match within a turn wins.
_INNER = [
    ("send", "/aiogram/client/", None),
    ("send", "/bench/recording.py", None),
    ("rendering", "/jinja2/", None),
    ("rendering", "/markupsafe/", None),
    ("rendering", "/locales/", None),
    ("rendering", "/bot/render.py", None),
    ("dialog", "/dialogs/", None),
    ("dialog", "/cases/", None),
    ("SQL", "/storage/", None),
    ("SQL", "/sqlalchemy/", None),
    ("SQL", "/aiosqlite/", None),
    ("SQL", "/asyncpg/", None),
]


def _frame(identifier: str) -> tuple[str, str]:
    function, _, rest = identifier.partition("\x00")
    path = rest.partition("\x00")[0]
    return function, path


def phase_of(stack: list[str]) -> str | None:
    """The phase a sample's stack (outermost first) belongs to; None when idle."""
    frames = [_frame(identifier) for identifier in stack]
    names = {
        (function, path.rsplit("/", 2)[-2] + "/" + path.rsplit("/", 1)[-1])
        for function, path in frames
        if path.count("/") >= 2
    }
    if any(function == "select" and path.endswith("selectors.py") for function, path in frames):
        return None
    if ("_send", "bot/outbox.py") in names and ("_call", "bot/outbox.py") not in names:
        return "sent mark"
    if ("poll_once", "bot/intake.py") in names or ("store_updates", "bot/inbox.py") in names:
        return "intake"
    in_turn = ("dispatch", "bot/inbox.py") in names or ("_call", "bot/outbox.py") in names
    if ("_lane", "bot/inbox.py") in names and not in_turn:
        return "claim"
    for function, path in reversed(frames):
        for phase, fragment, wanted in _INNER:
            if fragment in path and wanted in (None, function):
                return phase
    return "dispatch" if in_turn else "other"  # fmt: skip


def shares(records: list[tuple[list[str], float]]) -> dict[str, float]:
    """Each phase's share of the busy (not idle) sampled time."""
    spent: dict[str, float] = defaultdict(float)
    for stack, seconds in records:
        phase = phase_of(stack)
        if phase is not None:
            spent[phase] += seconds
    busy = sum(spent.values()) or 1.0
    return {phase: spent.get(phase, 0.0) / busy for phase in PHASES}


async def run(buyers: int, workdir: Path) -> dict[str, Any]:
    from pyinstrument import Profiler

    from bench.env import fresh_database
    from bench.inbound import Script, run_bot_phase

    profiler = Profiler(interval=0.0005, async_mode="disabled")
    script = Script()
    async with fresh_database("sqlite") as url:
        # Unprofiled first: the milliseconds; then the same again under the profiler: shares.
        measured = await run_bot_phase(url, workdir, _buyers(3_000_001, buyers), script, None)
        await run_bot_phase(url, workdir, _buyers(4_000_001, buyers), script, None, profiler)
    session = profiler.last_session
    found = shares(list(session.frame_records) if session else [])
    main_ms = measured["main_thread_cpu_ms_per_update"]
    spent = {phase: round(share * main_ms, 3) for phase, share in found.items()}
    spent[DRIVER_THREAD] = round(measured["cpu_ms_per_update"] - main_ms, 3)
    total = sum(spent.values()) or 1.0
    return {
        "updates": measured["handled"],
        "cpu_ms_per_update": measured["cpu_ms_per_update"],
        "ms_per_update": spent,
        "share": {phase: round(ms / total, 3) for phase, ms in spent.items()},
    }


def _buyers(first: int, count: int) -> list[int]:
    return list(range(first, first + count))


def table(profile: dict[str, Any]) -> str:
    """The phases as a table: ms of CPU per update and share, largest first."""
    if "ms_per_update" not in profile:
        return "(no profile of one update's CPU)"
    lines = [
        f"Where one update's CPU goes ({profile['cpu_ms_per_update']:.2f} ms per update "
        "in the profiled run):",
        "",
        "| phase | ms per update | share |",
        "|---|---|---|",
    ]
    ranked = sorted(profile["ms_per_update"].items(), key=lambda item: -item[1])
    for phase, ms in ranked:
        lines.append(f"| {phase} | {ms:.2f} | {profile['share'][phase]:.0%} |")
    return "\n".join(lines)
