"""How complaints go: outcomes, refunds, times and SLA per stage, by complaint type and merchant.

Pure: storage/stats.py folds each case's events into one `CaseFacts` in SQL, and `build_report`
turns those into the figures `/stats`, `complaint-bot stats` and the weekly digest show.

- A period is the cases *filed* in it: `7d` and `30d` are that many platform-local days up to
  now (today included), `YYYY-MM` a local calendar month.
- Outcomes: a refund approved (paid or to be paid) for all the buyer asked is `full`, for less
  `partial`; `rejected` is a rejection or a close (a ruling for the merchant, an escalation left
  unused, an admin's close); `withdrawn` the buyer's. The share decided for the buyer counts the
  full and partial refunds among the decided cases (withdrawn ones are not decided).
- Refunded is the money actually paid (refunded cases' approved amounts), in fen.
- Time to first review runs from filing to the first staff step (a note or an assignment is
  not one); time to close from filing to the case's final step, for cases that are final.
- SLA per stage: a stage is met when the case left it before its deadline, missed when it left
  after, or is still in it past the deadline; a stage still in time, or left by a withdrawal,
  is not counted. The review deadline is the case's (moved on by the evidence pauses).
- The open backlog counts every open case now, by how long ago it was filed.
- Satisfaction: the ratings buyers gave the cases (cases/ratings.py), per complaint type and
  merchant like the rest, and per staff member held responsible for the decision.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from cases.model import CaseStatus, is_open
from cases.ratings import GroupKey, RatingSummary

DEFAULT_PERIOD = "30d"
ROLLING_DAYS = {"7d": 7, "30d": 30}
# Open cases by age, in days since filing: [0, 1), [1, 3), [3, 7), [7, ∞).
BACKLOG_DAYS = (1, 3, 7)
# The weekly digest goes to the staff chat on Mondays at this platform-local time.
DIGEST_TIME = time(9, 0)
# The by-merchant list of the staff view shows this many merchants, the busiest first.
TOP_MERCHANTS = 8


class Stage(StrEnum):
    REVIEW = "review"
    MERCHANT = "merchant"
    ARBITRATION = "arbitration"
    REFUND = "refund"


class Outcome(StrEnum):
    FULL = "full"
    PARTIAL = "partial"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class PeriodError(ValueError):
    """The period is none of 7d, 30d, YYYY-MM."""


@dataclass(frozen=True)
class Period:
    """Cases filed in [start, end); `name` is what was asked for (7d, 30d, 2026-11, week)."""

    name: str
    start: datetime
    end: datetime
    tz: ZoneInfo

    @property
    def first_day(self) -> date:
        return self.start.astimezone(self.tz).date()

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(microseconds=1)).astimezone(self.tz).date()


def parse_period(text: str, now: datetime, tz: ZoneInfo) -> Period:
    """Reads `7d`, `30d` or `YYYY-MM` (empty: 30d); raises PeriodError for anything else."""
    name = text.strip().lower() or DEFAULT_PERIOD
    today = now.astimezone(tz).date()
    if name in ROLLING_DAYS:
        first = today - timedelta(days=ROLLING_DAYS[name] - 1)
        return Period(name, _midnight(first, tz), now, tz)
    try:
        month = datetime.strptime(name, "%Y-%m").date()  # noqa: DTZ007 (a date, no time)
    except ValueError as exc:
        raise PeriodError(text) from exc
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return Period(name, _midnight(month, tz), _midnight(following, tz), tz)


def previous_week(now: datetime, tz: ZoneInfo) -> Period:
    """The platform-local week (Monday to Sunday) before the one `now` falls in."""
    monday = now.astimezone(tz).date()
    monday -= timedelta(days=monday.weekday())
    return Period("week", _midnight(monday - timedelta(days=7), tz), _midnight(monday, tz), tz)


def next_digest_at(now: datetime, tz: ZoneInfo) -> datetime:
    """The first Monday DIGEST_TIME (platform-local) after `now`: when the weekly digest is due."""
    local = now.astimezone(tz)
    monday = local.date() - timedelta(days=local.weekday())
    due = datetime.combine(monday, DIGEST_TIME, tzinfo=tz)
    return due if due > local else due + timedelta(days=7)


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=tz)


_NO_STAGES: Mapping[Any, Any] = MappingProxyType({})


# StageSpan and CaseFacts are named tuples rather than frozen dataclasses: a report builds one
# of each per case of the period (40,000 in a busy month), and a frozen dataclass's __init__
# sets each field through object.__setattr__ (a tuple is built in one call): 7 % of the
# report's CPU time over 1,000,000 cases.
class StageSpan(NamedTuple):
    """A stage the case went through: its deadline and when the case left it (None: still in)."""

    due: datetime | None
    left_at: datetime | None


class CaseFacts(NamedTuple):
    """One case as the stats need it (storage/stats.py reads it out of the case and its events)."""

    reason: str
    merchant_code: str
    status: CaseStatus
    refund_amount: int  # fen, asked for
    approved_amount: int | None  # fen
    created_at: datetime
    first_review_at: datetime | None
    closed_at: datetime | None  # the final step, when the case is final
    stages: Mapping[Stage, StageSpan] = _NO_STAGES


@dataclass(frozen=True)
class Ratio:
    hit: int
    of: int

    @property
    def percent(self) -> int | None:
        """Whole percent, rounded half up; None when there is nothing to count."""
        return None if self.of == 0 else (200 * self.hit + self.of) // (2 * self.of)


@dataclass(frozen=True)
class Durations:
    median_hours: float | None
    p90_hours: float | None
    count: int


@dataclass(frozen=True)
class Figures:
    cases: int
    outcomes: dict[Outcome, int]
    open: int
    for_buyer: Ratio  # full + partial of the decided cases
    refunded: int  # fen paid out
    first_review: Durations
    close: Durations
    sla: dict[Stage, Ratio]
    # Satisfaction ratings of the cases (cases/ratings.py), shown when there are any.
    rating: RatingSummary = field(default_factory=RatingSummary)


@dataclass(frozen=True)
class Group:
    key: str  # a reason id or a merchant code
    figures: Figures


@dataclass(frozen=True)
class StatsReport:
    period: Period
    now: datetime
    total: Figures
    by_reason: list[Group]
    by_merchant: list[Group]  # the busiest TOP_MERCHANTS; empty in a merchant's own view
    other_merchants: int  # merchants with cases beyond those listed
    backlog: list[int]  # open cases per BACKLOG_DAYS bucket, youngest first
    merchant_code: str | None = None  # the one merchant the report is about, if any
    # Ratings per staff member held responsible (cases/ratings.py), best rated first.
    by_staff: list[tuple[int, RatingSummary]] = field(default_factory=list)


@dataclass(frozen=True)
class Ratings:
    """The ratings of the report's cases, per group (from `summarise_groups`)."""

    total: RatingSummary = field(default_factory=RatingSummary)
    by_reason: dict[GroupKey, RatingSummary] = field(default_factory=dict)
    by_merchant: dict[GroupKey, RatingSummary] = field(default_factory=dict)
    by_staff: dict[GroupKey, RatingSummary] = field(default_factory=dict)


def outcome_of(facts: CaseFacts) -> Outcome | None:
    """How the case ended (or was decided), None while undecided."""
    status = facts.status
    if status in (CaseStatus.REFUNDED, CaseStatus.REFUND_PENDING):
        approved = facts.approved_amount or 0
        return Outcome.FULL if approved >= facts.refund_amount else Outcome.PARTIAL
    if status in (CaseStatus.REJECTED, CaseStatus.CLOSED):
        return Outcome.REJECTED
    if status is CaseStatus.WITHDRAWN:
        return Outcome.WITHDRAWN
    return None


# The statuses a case is in while each stage runs (the review clock pauses for evidence).
STAGE_STATUSES: dict[Stage, frozenset[CaseStatus]] = {
    Stage.REVIEW: frozenset({CaseStatus.SUBMITTED, CaseStatus.IN_REVIEW}),
    Stage.MERCHANT: frozenset({CaseStatus.AWAITING_MERCHANT}),
    Stage.ARBITRATION: frozenset({CaseStatus.IN_ARBITRATION}),
    Stage.REFUND: frozenset({CaseStatus.REFUND_PENDING}),
}


def span_of(
    stage: Stage, status: CaseStatus, due: datetime | None, left_at: datetime | None
) -> StageSpan | None:
    """The stage as the case went through it; None when it never reached it or cannot count.

    A case that has not left a stage is still in it only while its status is the stage's; a
    withdrawn case left without anyone missing anything, and a review paused for evidence
    keeps the deadline it will move on from when it resumes.
    """
    if due is None or (left_at is None and status not in STAGE_STATUSES[stage]):
        return None
    return StageSpan(due, left_at)


def stage_met(span: StageSpan, now: datetime) -> bool | None:
    """True: left in time; False: left late or overdue; None: not counted (see module doc)."""
    if span.due is None:
        return None
    if span.left_at is not None:
        return span.left_at < span.due
    return False if now >= span.due else None


def figures(cases: Iterable[CaseFacts], now: datetime) -> Figures:
    """The figures of a set of cases."""
    items = list(cases)
    outcomes = dict.fromkeys(Outcome, 0)
    refunded = 0
    sla_hits = dict.fromkeys(Stage, 0)
    sla_all = dict.fromkeys(Stage, 0)
    for facts in items:
        outcome = outcome_of(facts)
        if outcome is not None:
            outcomes[outcome] += 1
        if facts.status is CaseStatus.REFUNDED:
            refunded += facts.approved_amount or 0
        for stage, span in facts.stages.items():
            met = stage_met(span, now)
            if met is not None:
                sla_all[stage] += 1
                sla_hits[stage] += met
    decided = outcomes[Outcome.FULL] + outcomes[Outcome.PARTIAL] + outcomes[Outcome.REJECTED]
    return Figures(
        cases=len(items),
        outcomes=outcomes,
        open=sum(1 for facts in items if is_open(facts.status)),
        for_buyer=Ratio(outcomes[Outcome.FULL] + outcomes[Outcome.PARTIAL], decided),
        refunded=refunded,
        first_review=durations(
            f.first_review_at - f.created_at for f in items if f.first_review_at
        ),
        close=durations(f.closed_at - f.created_at for f in items if f.closed_at),
        sla={stage: Ratio(sla_hits[stage], sla_all[stage]) for stage in Stage},
    )


def durations(spans: Iterable[timedelta]) -> Durations:
    """Median and 90th percentile in hours (one decimal)."""
    hours = sorted(span.total_seconds() / 3600 for span in spans)
    if not hours:
        return Durations(None, None, 0)
    # "inclusive": the percentile lies within the observed times, as with a nearest rank.
    p90 = statistics.quantiles(hours, n=10, method="inclusive")[8] if len(hours) > 1 else hours[0]
    return Durations(round(statistics.median(hours), 1), round(p90, 1), len(hours))


def build_report(
    period: Period,
    now: datetime,
    cases: Sequence[CaseFacts],
    backlog: Sequence[int],
    merchant_code: str | None = None,
    ratings: Ratings | None = None,
) -> StatsReport:
    """The report of the cases filed in `period` (all of one merchant's when `merchant_code`)."""
    by_reason: dict[str, list[CaseFacts]] = {}
    by_merchant: dict[str, list[CaseFacts]] = {}
    for facts in cases:
        by_reason.setdefault(facts.reason, []).append(facts)
        by_merchant.setdefault(facts.merchant_code, []).append(facts)
    reasons = sorted(by_reason.items(), key=lambda item: (-len(item[1]), item[0]))
    merchants = sorted(by_merchant.items(), key=lambda item: (-len(item[1]), item[0]))
    if merchant_code is not None:
        merchants = []
    rated = ratings or Ratings()

    def group(key: str, items: list[CaseFacts], of: dict[GroupKey, RatingSummary]) -> Group:
        return Group(key, replace(figures(items, now), rating=of.get(key, RatingSummary())))

    # Staff members' ratings are for staff: a merchant's own view shows none.
    staff = [(key, summary) for key, summary in rated.by_staff.items() if isinstance(key, int)]
    if merchant_code is not None:
        staff = []
    return StatsReport(
        period=period,
        now=now,
        total=replace(figures(cases, now), rating=rated.total),
        by_reason=[group(key, items, rated.by_reason) for key, items in reasons],
        by_merchant=[
            group(key, items, rated.by_merchant) for key, items in merchants[:TOP_MERCHANTS]
        ],
        other_merchants=max(len(merchants) - TOP_MERCHANTS, 0),
        backlog=list(backlog),
        merchant_code=merchant_code,
        by_staff=sorted(staff, key=lambda item: (-(item[1].average or 0), -item[1].count, item[0])),
    )


def backlog_edges(now: datetime) -> list[datetime]:
    """The filing times that part the backlog buckets, newest first (for the SQL count)."""
    return [now - timedelta(days=days) for days in BACKLOG_DAYS]
