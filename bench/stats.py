"""Stats: `/stats 30d` over a database of 1,000,000 cases, on SQLite and PostgreSQL, and the chart.

The cases are seeded by the database itself (INSERT … SELECT over a generated series: seconds,
not the minutes of row-by-row inserts), spread one a minute over the last ~two years like the
deadline benchmark's (bench/seed.py), so 30 days hold about 43,000 of them. Each case has its
events: filed; sent to the merchant with that deadline; accepted with the refund deadline;
paid (90 %), the rest still open with their filing only. Timed: the report as /stats builds it
(dialogs/stats.py `load_report`, the same queries) and the chart drawn from it.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from bench.env import fresh_database
from bot.stats_chart import render_chart
from cases.stats import parse_period
from dialogs.stats import chart_data, load_report, report_params
from locales import Translator
from storage.db import make_engine, make_session_factory
from storage.uow import SqlUnitOfWork

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
RUNS = 5
TZ_NAME = "Asia/Shanghai"

# {series}: a table of n = 0 … N-1; {at}: an instant `minutes` before NOW as the column stores
# it; {json}: a JSON object from key, value pairs. One template, two dialects.
_DIALECT = {
    "sqlite": {
        "series": "(WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s"
        " WHERE n < :cases - 1) SELECT n FROM s) AS g",
        "at": "strftime('%Y-%m-%d %H:%M:%f', '2026-11-26 03:00:00', ({minutes}) || ' minutes')"
        " || '000'",
        "json": "json_object({pairs})",
    },
    "postgresql": {
        "series": "generate_series(0, :cases - 1) AS g(n)",
        "at": "(TIMESTAMPTZ '2026-11-26 03:00:00+00' + ({minutes}) * INTERVAL '1 minute')",
        "json": "json_build_object({pairs})",
    },
}
_AGE = "-(:cases - n)"  # minutes before NOW the order was paid; the case an hour later
_EVENTS = (
    # seq, minutes after filing, actor, action, from, to, deadline kind, deadline after (min)
    (1, 120, "agent", "send_to_merchant", "submitted", "awaiting_merchant", "merchant", 2880),
    (2, 1200, "merchant", "merchant_accept", "awaiting_merchant", "refund_pending", "refund", 4320),
    (3, 1800, "agent", "confirm_refund", "refund_pending", "refunded", None, None),
)


def _statements(dialect: str) -> list[str]:
    d = _DIALECT[dialect]

    def at(offset: int) -> str:
        return d["at"].format(minutes=f"{_AGE} + 60 + {offset}")

    open_case = "n >= :first_open"
    statements = [
        "INSERT INTO orders (order_no, buyer_account, merchant_code, product, category, amount,"  # noqa: S608 (constants only)
        " currency, paid_at, delivered_at, status)"
        f" SELECT 'KM' || n, 'buyer_' || n, 'M' || (1000 + n % 50), 'Steam 充值卡 100元',"
        f" 'game_card', 10000, 'CNY', {at(-60)}, {at(-58)}, 'delivered' FROM {d['series']}",
        "INSERT INTO cases (case_no, order_no, buyer_id, status, reason, description,"  # noqa: S608 (constants only)
        " refund_amount, refund_method, currency, created_at, updated_at, review_due_at,"
        " open_order_no, merchant_code, order_amount, approved_amount, event_count)"
        f" SELECT 'TS' || n, 'KM' || n, 1000000 + n,"
        f" CASE WHEN {open_case} THEN 'in_review' ELSE 'refunded' END,"
        " CASE n % 3 WHEN 0 THEN 'not_delivered' WHEN 1 THEN 'card_invalid'"
        " ELSE 'not_as_described' END,"
        f" '付款后一直没有收到充值卡。', 10000, 'original', 'CNY', {at(0)}, {at(1800)},"
        f" {at(4320)}, CASE WHEN {open_case} THEN 'KM' || n END, 'M' || (1000 + n % 50), 10000,"
        f" CASE WHEN {open_case} THEN NULL ELSE 10000 - (n % 4) * 2500 END,"
        f" CASE WHEN {open_case} THEN 1 ELSE 4 END FROM {d['series']}",
        "INSERT INTO case_events (case_no, seq, at, actor_kind, actor_id, action, from_status,"  # noqa: S608 (constants only)
        " to_status, note, amount, extra, prev_hash, hash)"
        f" SELECT 'TS' || n, 0, {at(0)}, 'buyer', 1000000 + n, 'submit', NULL, 'submitted', '',"
        f" 10000, {d['json'].format(pairs=repr('reason') + ', ' + repr('not_delivered'))}, '', ''"
        f" FROM {d['series']}",
    ]
    for seq, after, actor, action, source, target, kind, due in _EVENTS:
        extra = d["json"].format(
            pairs="" if kind is None else f"'deadline_kind', '{kind}', 'deadline_at', "
            + _iso(d, f"{_AGE} + 60 + {after} + {due}", dialect)
        )
        statements.append(
            "INSERT INTO case_events (case_no, seq, at, actor_kind, actor_id, action,"  # noqa: S608 (constants only)
            " from_status, to_status, note, amount, extra, prev_hash, hash)"
            f" SELECT 'TS' || n, {seq}, {at(after)}, '{actor}', 900, '{action}', '{source}',"
            f" '{target}', '', NULL, {extra}, '', '' FROM {d['series']} WHERE n < :first_open"
        )
    return statements


def _iso(d: dict[str, str], minutes: str, dialect: str) -> str:
    """An instant as the ISO text a recorded deadline carries (with its offset)."""
    if dialect == "sqlite":
        return (
            "strftime('%Y-%m-%dT%H:%M:%S+00:00', '2026-11-26 03:00:00', "
            f"({minutes}) || ' minutes')"
        )
    return (
        "to_char((TIMESTAMPTZ '2026-11-26 03:00:00+00' + "
        f"({minutes}) * INTERVAL '1 minute') AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"')"
    )


async def seed(url: str, cases: int, open_share: float) -> float:
    """Fills the migrated database at `url`; returns the seconds it took."""
    started = time.perf_counter()
    engine = make_engine(url)
    params = {"cases": cases, "first_open": cases - round(cases * open_share)}
    try:
        async with engine.begin() as connection:
            for statement in _statements(engine.dialect.name):
                await connection.execute(text(statement), params)
            if engine.dialect.name == "postgresql":
                await connection.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    return time.perf_counter() - started


async def _time_report(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    translator = Translator(parse_period("30d", NOW, _tz()).tz)
    report_ms: list[float] = []
    chart_ms: list[float] = []
    cases = 0
    try:
        for run in range(RUNS + 1):  # the first warms the connection and the page cache
            started = time.perf_counter()
            async with SqlUnitOfWork(sessions) as uow:
                report = await load_report(uow, parse_period("30d", NOW, _tz()), NOW)
            took = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            render_chart(chart_data(report), translator, "zh_CN", report_params(report, {}))
            drawn = (time.perf_counter() - started) * 1000
            if run:
                report_ms.append(took)
                chart_ms.append(drawn)
            cases = report.total.cases
    finally:
        await engine.dispose()
    return {
        "period_cases": cases,
        "report_median_ms": round(statistics.median(report_ms), 1),
        "report_max_ms": round(max(report_ms), 1),
        "chart_median_ms": round(statistics.median(chart_ms), 1),
    }


def _tz() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(TZ_NAME)


async def run(backend: str, cases: int) -> dict[str, Any]:
    async with fresh_database(backend) as url:
        seconds = await seed(url, cases, 0.1)
        return {"cases": cases, "seed_s": round(seconds, 1), **await _time_report(url)}


async def run_all(cases: int) -> dict[str, Any]:
    """Both backends; PostgreSQL is skipped, saying so, when it does not answer."""
    from bench.env import postgres_reachable

    result: dict[str, Any] = {"sqlite": await run("sqlite", cases)}
    if await postgres_reachable():
        result["postgres"] = await run("postgres", cases)
    else:
        result["postgres"] = {"skipped": "PostgreSQL unreachable (TEST_POSTGRES_URL)"}
    return result


def rows(result: dict[str, Any], row: Callable[..., Any]) -> list[Any]:
    """This section's lines of the bench table, made with bench/run.py's `_row`."""
    out = []
    for backend, name in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
        measured = result.get(backend, {})
        if "report_median_ms" not in measured:
            continue
        what = f"/stats 30d, {measured['cases']:,} cases, {name}"
        ms = measured["report_median_ms"]
        out.append(row(what, ms, "<= 2000 ms", -ms, -2000, unit=" ms"))
    chart = result.get("sqlite", {}).get("chart_median_ms")
    if chart is not None:
        out.append(row("/stats chart drawn", chart, "<= 1000 ms", -chart, -1000, unit=" ms"))
    return out
