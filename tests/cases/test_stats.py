"""The stats of a period: its bounds, each case's outcome, SLA per stage, times and groups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cases.model import CaseStatus
from cases.stats import (
    CaseFacts,
    Outcome,
    PeriodError,
    Stage,
    StageSpan,
    build_report,
    durations,
    outcome_of,
    parse_period,
    previous_week,
    span_of,
    stage_met,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Mon 7 Dec 2026, 01:30 in Shanghai (still Sunday evening in UTC).
NOW = datetime(2026, 12, 6, 17, 30, tzinfo=UTC)
T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def facts(status: CaseStatus = CaseStatus.SUBMITTED, **changes: object) -> CaseFacts:
    values: dict[str, object] = {
        "reason": "not_delivered",
        "merchant_code": "M1001",
        "status": status,
        "refund_amount": 10_000,
        "approved_amount": None,
        "created_at": T0,
        "first_review_at": None,
        "closed_at": None,
        "stages": {},
    }
    values.update(changes)
    return CaseFacts(**values)  # type: ignore[arg-type]


def test_rolling_periods_are_whole_shanghai_days_up_to_now() -> None:
    week = parse_period("7d", NOW, SHANGHAI)
    # Today in Shanghai is 7 Dec, so the seven days are 1 to 7 Dec, from local midnight.
    assert week.start == datetime(2026, 12, 1, tzinfo=SHANGHAI)
    assert week.end == NOW
    assert (week.first_day.isoformat(), week.last_day.isoformat()) == ("2026-12-01", "2026-12-07")
    assert parse_period("", NOW, SHANGHAI).start == datetime(2026, 11, 8, tzinfo=SHANGHAI)


def test_a_month_runs_from_its_first_local_midnight_to_the_next_months() -> None:
    month = parse_period("2026-02", NOW, SHANGHAI)
    assert month.start == datetime(2026, 2, 1, tzinfo=SHANGHAI)
    assert month.end == datetime(2026, 3, 1, tzinfo=SHANGHAI)
    assert month.last_day.isoformat() == "2026-02-28"
    december = parse_period("2026-12", NOW, SHANGHAI)
    assert december.end == datetime(2027, 1, 1, tzinfo=SHANGHAI)


@pytest.mark.parametrize("text", ["8d", "2026-13", "2026", "last week", "7d 30d"])
def test_anything_else_is_not_a_period(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(text, NOW, SHANGHAI)


def test_the_digest_covers_the_whole_local_week_before() -> None:
    week = previous_week(datetime(2026, 12, 7, 1, 0, tzinfo=UTC), SHANGHAI)  # Mon 09:00 local
    assert week.start == datetime(2026, 11, 30, tzinfo=SHANGHAI)
    assert week.end == datetime(2026, 12, 7, tzinfo=SHANGHAI)


def test_outcomes_tell_full_from_partial_and_count_closes_as_no_refund() -> None:
    assert outcome_of(facts(CaseStatus.REFUNDED, approved_amount=10_000)) is Outcome.FULL
    assert outcome_of(facts(CaseStatus.REFUND_PENDING, approved_amount=10_000)) is Outcome.FULL
    assert outcome_of(facts(CaseStatus.REFUNDED, approved_amount=4_000)) is Outcome.PARTIAL
    assert outcome_of(facts(CaseStatus.REJECTED)) is Outcome.REJECTED
    assert outcome_of(facts(CaseStatus.CLOSED)) is Outcome.REJECTED
    assert outcome_of(facts(CaseStatus.WITHDRAWN)) is Outcome.WITHDRAWN
    assert outcome_of(facts(CaseStatus.NEGOTIATING)) is None


def test_a_stage_is_met_when_left_before_its_deadline_and_missed_when_overdue() -> None:
    due = T0 + timedelta(days=3)
    assert stage_met(StageSpan(due, due - timedelta(seconds=1)), NOW) is True
    assert stage_met(StageSpan(due, due), NOW) is False  # the timeout fires at the deadline
    assert stage_met(StageSpan(due, None), due + timedelta(minutes=1)) is False
    assert stage_met(StageSpan(due, None), due - timedelta(minutes=1)) is None


def test_a_stage_left_by_withdrawal_or_paused_for_evidence_is_not_counted() -> None:
    due = T0 + timedelta(days=3)
    assert span_of(Stage.MERCHANT, CaseStatus.WITHDRAWN, due, None) is None
    assert span_of(Stage.REVIEW, CaseStatus.AWAITING_EVIDENCE, due, None) is None
    assert span_of(Stage.REVIEW, CaseStatus.IN_REVIEW, due, None) == StageSpan(due, None)
    assert span_of(Stage.REFUND, CaseStatus.REFUNDED, None, T0) is None


def test_median_and_p90_are_hours_within_the_observed_times() -> None:
    spans = [timedelta(hours=hours) for hours in range(1, 11)]
    result = durations(spans)
    assert (result.median_hours, result.p90_hours, result.count) == (5.5, 9.1, 10)
    assert durations([timedelta(minutes=90)]).p90_hours == 1.5
    assert durations([]).median_hours is None


def test_the_report_groups_by_type_and_merchant_with_money_exact() -> None:
    due = T0 + timedelta(days=2)
    cases = [
        facts(
            CaseStatus.REFUNDED,
            approved_amount=10_000,
            first_review_at=T0 + timedelta(hours=2),
            closed_at=T0 + timedelta(hours=30),
            stages={Stage.REVIEW: StageSpan(due, T0 + timedelta(hours=3))},
        ),
        facts(CaseStatus.REFUNDED, approved_amount=3_333, merchant_code="M2002"),
        facts(
            CaseStatus.REJECTED,
            reason="card_invalid",
            stages={Stage.REVIEW: StageSpan(due, due + timedelta(hours=1))},
        ),
        facts(CaseStatus.WITHDRAWN, reason="card_invalid"),
        facts(CaseStatus.IN_REVIEW),
    ]
    report = build_report(parse_period("7d", NOW, SHANGHAI), NOW, cases, [1, 0, 0, 0])
    total = report.total
    assert total.cases == 5
    assert total.outcomes == {
        Outcome.FULL: 1, Outcome.PARTIAL: 1, Outcome.REJECTED: 1, Outcome.WITHDRAWN: 1
    }
    assert (total.open, total.refunded) == (1, 13_333)
    assert (total.for_buyer.hit, total.for_buyer.of, total.for_buyer.percent) == (2, 3, 67)
    assert (total.sla[Stage.REVIEW].hit, total.sla[Stage.REVIEW].of) == (1, 2)
    assert total.sla[Stage.MERCHANT].percent is None
    assert (total.first_review.median_hours, total.close.median_hours) == (2.0, 30.0)
    assert [(g.key, g.figures.cases) for g in report.by_reason] == [
        ("not_delivered", 3), ("card_invalid", 2)
    ]
    assert [(g.key, g.figures.refunded) for g in report.by_merchant] == [
        ("M1001", 10_000), ("M2002", 3_333)
    ]
    mine = build_report(report.period, NOW, cases[1:2], [0, 0, 0, 0], merchant_code="M2002")
    assert mine.by_merchant == []
    assert mine.total.refunded == 3_333
