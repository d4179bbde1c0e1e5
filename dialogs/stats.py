"""How complaints go, as staff (`/stats` in the staff chat), a merchant (`/stats`, their own)
and the operator (`complaint-bot stats`) see it: a chart picture with the figures beside it.

cases/stats.py computes; this module loads the report through the unit of work and turns it
into plain data for the `stats.*` texts and for the chart (bot/stats_chart.py draws it when the
message is sent, so the outbox keeps data, not pictures).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cases.ports import RatingGroup, UnitOfWork
from cases.ratings import SCORES, GroupKey, RatingSummary, summarise_groups
from cases.stats import (
    Durations,
    Figures,
    Outcome,
    Period,
    PeriodError,
    Ratings,
    Stage,
    StatsReport,
    build_report,
    parse_period,
)
from dialogs.context import Turn
from dialogs.types import FileReply, Reply

# The file kind of a reply whose picture the sender draws from `params["chart"]`.
CHART_KIND = "stats_chart"


async def load_report(
    uow: UnitOfWork, period: Period, now: datetime, merchant_code: str | None = None
) -> StatsReport:
    """The report of the cases filed in `period`, all or one merchant's."""
    facts = await uow.stats.case_facts(period.start, period.end, merchant_code)
    backlog = await uow.stats.backlog(now, merchant_code)
    ratings = await load_ratings(uow, period, merchant_code)
    return build_report(period, now, facts, backlog, merchant_code, ratings)


async def load_ratings(uow: UnitOfWork, period: Period, merchant_code: str | None) -> Ratings:
    """The ratings of the cases filed in `period`: in all, per type, merchant and staff member."""

    async def per(by: RatingGroup) -> dict[GroupKey, RatingSummary]:
        counts = await uow.ratings.score_counts(by, period.start, period.end, merchant_code)
        return summarise_groups(counts)

    total = (await per("all")).get("all", RatingSummary())
    return Ratings(total, await per("reason"), await per("merchant"), await per("staff"))


async def stats_command(turn: Turn, args: str, merchant_code: str | None = None) -> None:
    """Answers /stats [7d|30d|YYYY-MM] with the chart and the figures; the caller has checked
    who may see them (any staff member; a merchant only their own, `merchant_code`)."""
    try:
        period = parse_period(args, turn.now, turn.env.calendar.tz)
    except PeriodError:
        turn.say("stats.usage", given=args.strip())
        return
    report = await load_report(turn.uow, period, turn.now, merchant_code)
    turn.replies.extend(report_replies(report, await merchant_names(turn.uow, report)))


def report_replies(
    report: StatsReport, names: dict[str, str], caption: str = "stats.caption"
) -> list[Reply]:
    """The chart (captioned with the period) and the figures as a text message after it."""
    params = report_params(report, names)
    chart = FileReply(caption, {**params, "chart": chart_data(report)}, file_kind=CHART_KIND)
    return [chart, Reply("stats.report", params)]


async def merchant_names(uow: UnitOfWork, report: StatsReport) -> dict[str, str]:
    """The shop names of the merchants the report lists, by code."""
    codes = [group.key for group in report.by_merchant]
    if report.merchant_code is not None:
        codes.append(report.merchant_code)
    names = {}
    for code in codes:
        merchant = await uow.merchants.get(code)
        if merchant is not None:
            names[code] = merchant.name
    return names


def report_params(report: StatsReport, names: dict[str, str]) -> dict[str, Any]:
    """The report as plain data for the `stats.report` texts (the CLI prints the same)."""
    period = report.period
    return {
        "period": period.name,
        "first_day": period.first_day,
        "last_day": period.last_day,
        "merchant": report.merchant_code or "",
        "merchant_name": names.get(report.merchant_code or "", ""),
        "total": figure_params(report.total),
        "by_reason": [{"key": g.key, **figure_params(g.figures)} for g in report.by_reason],
        "by_merchant": [
            {"key": g.key, "name": names.get(g.key, ""), **figure_params(g.figures)}
            for g in report.by_merchant
        ],
        "other_merchants": report.other_merchants,
        "backlog": report.backlog,
        "backlog_total": sum(report.backlog),
        "by_staff": [{"id": staff_id, **rating_params(r)} for staff_id, r in report.by_staff],
    }


def figure_params(figures: Figures) -> dict[str, Any]:
    outcomes = figures.outcomes
    return {
        "cases": figures.cases,
        "open": figures.open,
        **{outcome.value: outcomes[outcome] for outcome in Outcome},
        "decided": figures.for_buyer.of,
        "for_buyer": figures.for_buyer.percent,
        "refunded": figures.refunded,
        "review": _durations(figures.first_review),
        "close": _durations(figures.close),
        "sla": {stage.value: _ratio(figures, stage) for stage in Stage},
        **rating_params(figures.rating),
    }


def rating_params(rating: RatingSummary) -> dict[str, Any]:
    """Count, exact average (two decimals) and how many gave each score, 1 to 5."""
    return {
        "ratings": rating.count,
        "rating_avg": "" if rating.average is None else str(rating.average),
        "rating_dist": [rating.distribution[score] for score in SCORES],
    }


def _durations(durations: Durations) -> dict[str, Any]:
    return {
        "median": _hours(durations.median_hours),
        "p90": _hours(durations.p90_hours),
        "count": durations.count,
    }


def _hours(hours: float | None) -> str:
    return "" if hours is None else f"{hours:.1f}"


def _ratio(figures: Figures, stage: Stage) -> dict[str, Any]:
    ratio = figures.sla[stage]
    return {"percent": ratio.percent, "met": ratio.hit, "of": ratio.of}


def chart_data(report: StatsReport) -> dict[str, Any]:
    """What the chart draws: outcomes per complaint type and SLA met per stage (JSON-ready)."""
    return {
        "reasons": [
            {
                "key": g.key,
                **{o.value: g.figures.outcomes[o] for o in Outcome},
                "open": g.figures.open,
            }
            for g in report.by_reason
        ],
        "sla": {stage.value: report.total.sla[stage].percent for stage in Stage},
        "backlog": report.backlog,
    }
