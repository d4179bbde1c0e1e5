"""Draws the stats chart (dialogs/stats.py `chart_data`) as a PNG, with matplotlib's Agg backend.

matplotlib is imported inside `render_chart`, the first time a chart is drawn: a bot that never
draws one neither starts slower nor holds it in memory. Every text is set in the font shipped in
bot/fonts (a subset of Noto Sans CJK SC, see tools/subset_chart_font.py), added to matplotlib by
its file and named explicitly, so Chinese labels never depend on the fonts the machine has.
Merchants appear in the text beside the chart, not in it: their names are anyone's characters.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from locales import LOCALES, Translator, load_texts

FONT_FILE = Path(__file__).resolve().parent / "fonts" / "ChartSansSC.otf"
FONT_FAMILY = "Chart Sans SC"
OUTCOMES = ("full", "partial", "rejected", "withdrawn", "open")
STAGES = ("review", "merchant", "arbitration", "refund")
COLOURS = {
    "full": "#2e7d32",
    "partial": "#81c784",
    "rejected": "#c62828",
    "withdrawn": "#9e9e9e",
    "open": "#1565c0",
}
SIZE = (9.0, 6.4)  # inches, at DPI: 900 × 640 px, readable on a phone once Telegram scales it
DPI = 100


@cache
def _font_ready() -> None:
    """Adds the shipped font to matplotlib once per process."""
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(FONT_FILE))


def render_chart(
    data: Mapping[str, Any], translator: Translator, locale: str, params: Mapping[str, Any]
) -> bytes:
    """The chart as PNG bytes: outcomes per complaint type, SLA met per stage, open backlog."""
    figure = build_figure(data, translator, locale, params)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def build_figure(
    data: Mapping[str, Any], translator: Translator, locale: str, params: Mapping[str, Any]
) -> Any:
    """The chart's matplotlib Figure (its own canvas, no pyplot state shared between charts)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    _font_ready()

    def text(key: str, **extra: Any) -> str:
        return translator.render_plain(locale, key, {**params, **extra})

    # Each text takes its font when it is made: inside this block, the shipped one.
    with rc_context({"font.family": [FONT_FAMILY]}):
        # Fixed margins rather than a constrained layout, which doubles the drawing time; the
        # left one fits the longest complaint type.
        figure = Figure(figsize=SIZE, dpi=DPI)
        FigureCanvasAgg(figure)
        grid = figure.add_gridspec(
            2, 2, height_ratios=(3, 2), left=0.17, right=0.98, top=0.9, bottom=0.07,
            hspace=0.5, wspace=0.15,
        )
        figure.suptitle(text("stats.chart.title"), fontsize=14)
        _outcomes(figure.add_subplot(grid[0, :]), data, text)
        _sla(figure.add_subplot(grid[1, 0]), data, text)
        _backlog(figure.add_subplot(grid[1, 1]), data, text)
    return figure


def _outcomes(axes: Any, data: Mapping[str, Any], text: Any) -> None:
    axes.set_title(text("stats.chart.by_reason"), fontsize=11, loc="left")
    reasons = list(reversed(data["reasons"]))
    if not reasons:
        axes.text(0.5, 0.5, text("stats.chart.none"), ha="center", va="center")
        axes.set_axis_off()
        return
    labels = [text(f"reason.{item['key']}") for item in reasons]
    left = [0] * len(reasons)
    for outcome in OUTCOMES:
        counts = [int(item[outcome]) for item in reasons]
        axes.barh(
            labels, counts, left=left, color=COLOURS[outcome], label=text(f"stats.chart.{outcome}")
        )
        left = [a + b for a, b in zip(left, counts, strict=True)]
    axes.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.06), fontsize=9, ncols=len(OUTCOMES),
        frameon=False,
    )
    axes.xaxis.set_major_locator(_integers())
    axes.tick_params(labelsize=9)


def _sla(axes: Any, data: Mapping[str, Any], text: Any) -> None:
    axes.set_title(text("stats.chart.sla"), fontsize=11, loc="left")
    labels = [text(f"stats.chart.{stage}") for stage in STAGES]
    values = [data["sla"].get(stage) for stage in STAGES]
    bars = axes.bar(labels, [value or 0 for value in values], color="#1565c0")
    axes.bar_label(bars, labels=["—" if v is None else f"{v}%" for v in values], fontsize=9)
    axes.set_ylim(0, 110)
    axes.tick_params(labelsize=9)


def _backlog(axes: Any, data: Mapping[str, Any], text: Any) -> None:
    axes.set_title(text("stats.chart.backlog"), fontsize=11, loc="left")
    labels = [text(f"stats.chart.age_{index}") for index in range(len(data["backlog"]))]
    bars = axes.bar(labels, data["backlog"], color="#ef6c00")
    axes.bar_label(bars, fontsize=9)
    axes.yaxis.set_major_locator(_integers())
    axes.set_ylim(bottom=0)
    axes.margins(y=0.15)
    axes.tick_params(labelsize=9)


def _integers() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def chart_texts() -> list[str]:
    """Every label the chart can draw, in every locale (what the shipped font must cover)."""
    translator = Translator(ZoneInfo("Asia/Shanghai"))
    sample = {"first_day": date(2026, 12, 1), "last_day": date(2026, 12, 31)}
    keys = [
        key
        for key in load_texts(LOCALES[0])
        if key.startswith(("stats.chart.", "reason.")) and key.count(".") <= 2
    ]
    return [translator.render_plain(locale, key, sample) for locale in LOCALES for key in keys]
