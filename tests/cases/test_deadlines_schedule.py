"""Deadlines per status across China's holidays, reminder times, and the jobs a deadline needs."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from cases.deadlines import (
    DEADLINE_JOB,
    REMINDER_JOB,
    Party,
    deadline_after,
    expiry_action,
    job_prefix,
    jobs_for,
    reminder_times,
    resumed_review_due,
    waits_on,
)
from cases.lifecycle import Action
from cases.model import CaseStatus, DeadlineKind
from cases.policy import Policy
from tests.fakes.lifecycle import CALENDAR, SHANGHAI, make_case

S = CaseStatus


def shanghai(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


# National Day 2026: 1-7 October off, Saturday 10 October a make-up working day (调休).
@pytest.mark.parametrize(
    ("status", "start", "kind", "due"),
    [
        # Two working days from 30 September: 8 and 9 October, so due by the end of the 9th.
        (S.AWAITING_MERCHANT, shanghai(9, 30, 16), DeadlineKind.MERCHANT, shanghai(10, 10)),
        # Five working days from Monday 28 September: 29, 30 Sep, 8, 9, 10 (make-up) Oct.
        (S.IN_ARBITRATION, shanghai(9, 28, 9), DeadlineKind.ARBITRATION, shanghai(10, 11)),
        # Three working days from 30 September: 8, 9, 10 October.
        (S.REFUND_PENDING, shanghai(9, 30, 9), DeadlineKind.REFUND, shanghai(10, 11)),
        # Calendar days do not skip holidays: three days from 30 September end with 3 October.
        (S.AWAITING_EVIDENCE, shanghai(9, 30, 23, 30), DeadlineKind.EVIDENCE, shanghai(10, 4)),
        (S.NEGOTIATING, shanghai(9, 30, 9), DeadlineKind.BUYER_DECISION, shanghai(10, 8)),
    ],
)
def test_each_waiting_status_has_its_deadline_across_national_day(
    status: CaseStatus, start: datetime, kind: DeadlineKind, due: datetime
) -> None:
    deadline = deadline_after(make_case(S.IN_REVIEW), status, start, Policy(), CALENDAR,
                              restart=True)

    assert deadline is not None
    assert (deadline.kind, deadline.at) == (kind, due)


def test_merchant_asked_on_30_september_answers_by_9_october() -> None:
    deadline = deadline_after(make_case(S.IN_REVIEW), S.AWAITING_MERCHANT, shanghai(9, 30, 10),
                              Policy(), CALENDAR, restart=True)

    assert deadline is not None
    assert CALENDAR.deadline_date(deadline.at).isoformat() == "2026-10-09"


def test_review_keeps_the_filing_deadline_when_a_case_is_taken() -> None:
    case = make_case(S.SUBMITTED)

    deadline = deadline_after(case, S.IN_REVIEW, shanghai(11, 30), Policy(), CALENDAR,
                              restart=True)

    assert deadline is not None
    assert (deadline.kind, deadline.at) == (DeadlineKind.REVIEW, case.review_due_at)


@pytest.mark.parametrize("status", [S.REFUNDED, S.WITHDRAWN, S.CLOSED])
def test_final_statuses_have_no_deadline(status: CaseStatus) -> None:
    assert deadline_after(make_case(S.IN_REVIEW), status, shanghai(11, 30), Policy(), CALENDAR,
                          restart=True) is None


def test_reminders_come_24_and_2_hours_before_the_deadline() -> None:
    deadline = shanghai(10, 10)

    assert reminder_times(deadline, shanghai(9, 30, 16), Policy()) == [
        ("24", shanghai(10, 9)),
        ("2", shanghai(10, 9, 22)),
    ]


def test_reminders_already_past_are_left_out() -> None:
    deadline = shanghai(10, 10)

    assert reminder_times(deadline, shanghai(10, 9, 12), Policy()) == [("2", shanghai(10, 9, 22))]
    assert reminder_times(deadline, shanghai(10, 9, 22), Policy()) == []


def test_an_operators_fractional_offset_is_labelled_in_hours() -> None:
    policy = Policy(reminder_offsets=(timedelta(hours=1.5),))

    assert reminder_times(shanghai(10, 10), shanghai(10, 9), policy) == [
        ("1.5", shanghai(10, 9, 22, 30)),
    ]


def test_a_deadline_gets_its_reminders_and_its_expiry_under_one_prefix_per_case() -> None:
    case = make_case(S.AWAITING_MERCHANT)
    assert case.next_deadline_at is not None

    jobs = jobs_for(case, 4, case.updated_at, Policy())

    prefix = job_prefix(case.case_no)
    assert prefix == "case:TS20261126-7K3Q9:"
    assert [(job.kind, job.key) for job in jobs] == [
        (REMINDER_JOB, f"{prefix}4:remind:24"),
        (REMINDER_JOB, f"{prefix}4:remind:2"),
        (DEADLINE_JOB, f"{prefix}4:deadline"),
    ]
    assert [job.due_at for job in jobs] == [
        case.next_deadline_at - timedelta(hours=24),
        case.next_deadline_at - timedelta(hours=2),
        case.next_deadline_at,
    ]
    assert jobs[-1].payload == {
        "case_no": case.case_no,
        "seq": 4,
        "status": "awaiting_merchant",
        "deadline_kind": "merchant",
        "deadline_at": case.next_deadline_at.isoformat(),
    }
    assert jobs[0].payload["hours"] == "24"


def test_final_cases_and_a_rejections_silent_window_need_no_jobs() -> None:
    rejected = make_case(S.REJECTED)
    assert rejected.deadline_kind is DeadlineKind.BUYER_DECISION

    assert jobs_for(rejected, 3, rejected.updated_at, Policy()) == []
    assert jobs_for(make_case(S.REFUNDED), 3, rejected.updated_at, Policy()) == []
    no_deadline = replace(make_case(S.IN_REVIEW), next_deadline_at=None, deadline_kind=None)
    assert jobs_for(no_deadline, 3, rejected.updated_at, Policy()) == []


@pytest.mark.parametrize(
    ("kind", "action", "party"),
    [
        (DeadlineKind.REVIEW, None, Party.STAFF),
        (DeadlineKind.EVIDENCE, Action.EVIDENCE_TIMEOUT, Party.BUYER),
        (DeadlineKind.MERCHANT, Action.MERCHANT_TIMEOUT, Party.MERCHANT),
        (DeadlineKind.BUYER_DECISION, Action.ESCALATION_EXPIRED, Party.BUYER),
        (DeadlineKind.ARBITRATION, None, Party.STAFF),
        (DeadlineKind.REFUND, None, Party.STAFF),
    ],
)
def test_each_deadline_names_who_is_reminded_and_what_its_expiry_does(
    kind: DeadlineKind, action: Action | None, party: Party
) -> None:
    assert expiry_action(kind) == action
    assert waits_on(kind) is party


def test_a_resumed_review_ends_on_a_whole_minute_so_the_time_shown_is_exact() -> None:
    # Evidence arrives at 09:15:20.5 with two days and a few seconds of review left: the
    # deadline people read as "2026-11-28 09:16" must be that minute, not 09:15:27.5.
    now = datetime(2026, 11, 26, 9, 15, 20, 500_000, tzinfo=SHANGHAI)
    left = int(timedelta(days=2, seconds=7).total_seconds())
    due = resumed_review_due(left, now, CALENDAR)
    assert due == shanghai(11, 28, 9, 16)


def test_a_resumed_review_already_on_a_whole_minute_is_not_moved() -> None:
    now = shanghai(11, 26, 10, 0)
    due = resumed_review_due(int(timedelta(days=6).total_seconds()), now, CALENDAR)
    assert due == shanghai(12, 2, 10, 0)
