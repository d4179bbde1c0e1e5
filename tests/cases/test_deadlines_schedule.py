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
from cases.policy import Policy, parse_hours
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


def test_reminders_come_24_and_2_hours_before_a_deadline_inside_the_reminder_hours() -> None:
    deadline = shanghai(10, 10, 18)

    assert reminder_times(deadline, shanghai(9, 30, 16), Policy()) == [
        ("24", shanghai(10, 9, 18)),
        ("2", shanghai(10, 10, 16)),
    ]


def test_reminders_of_a_midnight_deadline_go_out_at_21_00_not_at_midnight_and_22_00() -> None:
    deadline = shanghai(10, 10)

    assert reminder_times(deadline, shanghai(9, 30, 16), Policy()) == [
        ("24", shanghai(10, 8, 21)),
        ("2", shanghai(10, 9, 21)),
    ]


def test_an_early_morning_reminder_moves_to_the_evening_before() -> None:
    # 2 h before 07:00 is 05:00; the last moment of the window before it is 21:00 the day before.
    assert reminder_times(shanghai(10, 10, 7), shanghai(10, 9, 12), Policy()) == [
        ("2", shanghai(10, 9, 21)),
    ]


def test_the_reminder_hours_follow_the_setting() -> None:
    policy = Policy(reminder_hours=parse_hours("08:30-20:00"))

    assert reminder_times(shanghai(10, 10), shanghai(9, 30, 16), policy) == [
        ("24", shanghai(10, 8, 20)),
        ("2", shanghai(10, 9, 20)),
    ]


def test_a_reminder_whose_window_has_passed_goes_out_now_not_in_the_past() -> None:
    # At 21:30 the 2 h reminder of midnight (22:00) is still ahead, but 21:00 is gone.
    now = shanghai(10, 9, 21, 30)

    assert reminder_times(shanghai(10, 10), now, Policy()) == [("2", now)]


def test_reminders_meeting_at_one_moment_are_sent_once() -> None:
    # A deadline at 08:00: 24 h before is in the window, 2 h before (06:00) moves to 21:00 the
    # evening before, where a 12 h reminder (20:00 -> stays) does not meet it but a 10 h one
    # (22:00 -> 21:00) does.
    policy = Policy(reminder_offsets=(timedelta(hours=10), timedelta(hours=2)))

    assert reminder_times(shanghai(10, 10, 8), shanghai(10, 9, 12), policy) == [
        ("2", shanghai(10, 9, 21)),
    ]


def test_reminders_already_past_are_left_out() -> None:
    deadline = shanghai(10, 10)

    assert reminder_times(deadline, shanghai(10, 9, 12), Policy()) == [("2", shanghai(10, 9, 21))]
    assert reminder_times(deadline, shanghai(10, 9, 22), Policy()) == []


def test_an_operators_fractional_offset_is_labelled_in_hours() -> None:
    policy = Policy(reminder_offsets=(timedelta(hours=1.5),))

    assert reminder_times(shanghai(10, 10, 12), shanghai(10, 9), policy) == [
        ("1.5", shanghai(10, 10, 10, 30)),
    ]


def test_a_window_to_24_00_sends_reminders_at_any_hour() -> None:
    policy = Policy(reminder_hours=parse_hours("00:00-24:00"))

    assert reminder_times(shanghai(10, 10), shanghai(9, 30, 16), policy) == [
        ("24", shanghai(10, 9)),
        ("2", shanghai(10, 9, 22)),
    ]


@pytest.mark.parametrize("window", ["21:00-09:00", "9-21", "09:00", "09:00-09:00", ""])
def test_a_bad_reminder_window_is_refused(window: str) -> None:
    with pytest.raises(ValueError, match=r"09:00-21:00|before the end"):
        parse_hours(window)


def test_a_resumed_review_is_counted_in_working_time_and_never_ends_on_a_weekend() -> None:
    # Review due at the end of Tuesday 1 December; evidence asked for on Friday 27 November at
    # noon keeps 60 working hours. Resumed on Thursday 3 December at 10:00, they run through
    # Thursday and Friday and end on Monday 7 December at 22:00, not on Saturday.
    paused = replace(
        make_case(S.AWAITING_EVIDENCE),
        paused_review_seconds=CALENDAR.working_seconds_between(shanghai(11, 27, 12),
                                                               shanghai(12, 2)),
    )

    deadline = deadline_after(paused, S.IN_REVIEW, shanghai(12, 3, 10), Policy(), CALENDAR,
                              restart=True)

    assert paused.paused_review_seconds == 60 * 3600
    assert deadline is not None
    assert deadline.at == shanghai(12, 7, 22)


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
    # A midnight deadline: both reminders at 21:00, the evening before and the last evening.
    assert [job.due_at for job in jobs] == [
        case.next_deadline_at - timedelta(hours=27),
        case.next_deadline_at - timedelta(hours=3),
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
    # Evidence arrives on Thursday at 09:15:20.5 with two working days and a few seconds of
    # review left (they skip the weekend): the deadline people read as "2026-11-30 09:16" must
    # be that minute, not 09:15:27.5.
    now = datetime(2026, 11, 26, 9, 15, 20, 500_000, tzinfo=SHANGHAI)
    left = int(timedelta(days=2, seconds=7).total_seconds())
    due = resumed_review_due(left, now, CALENDAR)
    assert due == shanghai(11, 30, 9, 16)


def test_a_resumed_review_already_on_a_whole_minute_is_not_moved() -> None:
    now = shanghai(11, 26, 10, 0)
    due = resumed_review_due(int(timedelta(days=6).total_seconds()), now, CALENDAR)
    # Six working days of time from Thursday 10:00, the weekend left out.
    assert due == shanghai(12, 4, 10, 0)
