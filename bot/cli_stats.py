"""`complaint-bot stats [7d|30d|YYYY-MM] [--merchant CODE] [--chart FILE]`: how complaints go.

The same figures as `/stats` in the staff chat (dialogs/stats.py), printed as text; `--chart`
also writes the chart picture the chat gets, as PNG.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.cli import Console, _database
from bot.config import Settings
from cases.clock import Clock, SystemClock
from cases.stats import PeriodError, parse_period
from dialogs.stats import chart_data, load_report, merchant_names, report_params


async def stats(
    settings: Settings,
    console: Console,
    period_text: str,
    merchant: str | None,
    chart: Path | None,
    clock: Clock | None = None,
) -> int:
    """Prints the report of the cases filed in the period; 2 for a period it cannot read."""
    now = (clock or SystemClock()).now()
    try:
        period = parse_period(period_text, now, settings.tz)
    except PeriodError:
        console.error("stats.usage", given=period_text)
        return 2
    async with _database(settings) as uow_factory, uow_factory() as uow:
        report = await load_report(uow, period, now, merchant)
        names = await merchant_names(uow, report)
    params = report_params(report, names)
    console.say("stats.report", **params)
    if chart is not None:
        from bot.stats_chart import render_chart

        png = render_chart(chart_data(report), console.translator, console.locale, params)
        await asyncio.to_thread(chart.write_bytes, png)
        console.say("stats.cli.chart_written", path=str(chart))
    return 0
