"""Deadlines: whose move a case waits for, until when, and the reminder and expiry jobs it needs.

Each waiting status has one deadline (DESIGN.md §2):

| status            | kind           | waits on | until                                    |
|-------------------|----------------|----------|------------------------------------------|
| submitted         | review         | staff    | review_working_days working days (filed) |
| in_review         | review         | staff    | the same review deadline (paused below)  |
| awaiting_evidence | evidence       | buyer    | evidence_days calendar days              |
| awaiting_merchant | merchant       | merchant | merchant_working_days working days       |
| negotiating       | buyer_decision | buyer    | escalation_days from answer / decline    |
| in_arbitration    | arbitration    | staff    | arbitration_working_days working days    |
| refund_pending    | refund         | staff    | refund_working_days working days         |
| awaiting_assessment | assessment   | staff    | assessment_working_days working days     |
| rejected          | buyer_decision | (nobody) | escalation_days from the rejection       |

Every deadline ends at a local midnight, like `WorkingCalendar.add_working_days`: the day the
clock starts never counts, so "3 days" asked for at 23:00 are still three whole days.

The review clock pauses while the case waits on the buyer or on a third-party assessment:
entering awaiting_evidence (or awaiting_assessment from review) keeps the review time left,
counted in working time (`Case.paused_review_seconds`: seconds on working days); when the
evidence or the assessment's result arrives (or the evidence deadline passes) review resumes
with that much working time left, counted on the calendar again, so the new deadline skips
weekends and holidays like any other; and never less than until the end of the next working
day, so evidence sent late on a Friday still leaves staff a working day to read it. Such a
deadline is the one that may end inside a day rather than at midnight (rounded up to a whole
minute, the finest it is shown).

A rejected case is final, yet the buyer may still escalate it within escalation_days: the case
keeps that window as its deadline so `escalate` can check it. No job is scheduled for it, because
nothing happens when it passes: the case simply stays rejected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from cases.actions import Action
from cases.calendar import WorkingCalendar
from cases.model import Case, CaseStatus, DeadlineKind, is_open
from cases.policy import Policy

# Waits during which the review clock stands still, keeping the time it had left.
REVIEW_PAUSES = frozenset({CaseStatus.AWAITING_EVIDENCE, CaseStatus.AWAITING_ASSESSMENT})

REMINDER_JOB = "case_reminder"
DEADLINE_JOB = "case_deadline"


class Party(StrEnum):
    """Who is reminded of a deadline, and who must move before it passes."""

    BUYER = "buyer"
    MERCHANT = "merchant"
    STAFF = "staff"


WAITS_ON: dict[DeadlineKind, Party] = {
    DeadlineKind.REVIEW: Party.STAFF,
    DeadlineKind.EVIDENCE: Party.BUYER,
    DeadlineKind.MERCHANT: Party.MERCHANT,
    DeadlineKind.BUYER_DECISION: Party.BUYER,
    DeadlineKind.ARBITRATION: Party.STAFF,
    DeadlineKind.REFUND: Party.STAFF,
    # Staff chase the assessor, so staff are reminded and, when it is missed, alerted.
    DeadlineKind.ASSESSMENT: Party.STAFF,
}


@dataclass(frozen=True)
class Deadline:
    kind: DeadlineKind
    at: datetime


@dataclass(frozen=True)
class JobSpec:
    """One job to put on the durable job queue (`JobRepository.add`)."""

    kind: str  # REMINDER_JOB or DEADLINE_JOB
    due_at: datetime
    payload: dict[str, Any]  # JSON-ready
    key: str


def waits_on(kind: DeadlineKind) -> Party:
    """Returns who is reminded of a deadline of this kind."""
    return WAITS_ON[kind]


def expiry_action(kind: DeadlineKind) -> Action | None:
    """Returns what the system does when a deadline passes; None means: alert staff once."""
    return {
        DeadlineKind.EVIDENCE: Action.EVIDENCE_TIMEOUT,
        DeadlineKind.MERCHANT: Action.MERCHANT_TIMEOUT,
        DeadlineKind.BUYER_DECISION: Action.ESCALATION_EXPIRED,
    }.get(kind)


def days_from(now: datetime, days: int, calendar: WorkingCalendar) -> datetime:
    """Returns the end of the `days`-th local calendar day after the day of `now`."""
    local = now.astimezone(calendar.tz).date()
    return calendar.start_of_day(local + timedelta(days=days + 1))


def review_due(filed_at: datetime, policy: Policy, calendar: WorkingCalendar) -> datetime:
    """Returns when support must have decided a case filed at `filed_at`."""
    return calendar.add_working_days(filed_at, policy.review_working_days)


def review_time_left(case: Case, now: datetime, calendar: WorkingCalendar) -> int:
    """Returns the working seconds of review left, to keep while the case waits on the buyer.

    Only time on working days counts, so a pause over a weekend or a holiday neither eats the
    review time nor, when it resumes, hands the weekend back as if it were working time.
    """
    due = case.next_deadline_at if case.deadline_kind is DeadlineKind.REVIEW else None
    due = due or case.review_due_at
    if due is None or due <= now:
        return 0
    return calendar.working_seconds_between(now, due)


def resumed_review_due(
    paused_seconds: int | None, now: datetime, calendar: WorkingCalendar
) -> datetime:
    """Returns the review deadline when review resumes with `paused_seconds` working seconds."""
    floor = calendar.add_working_days(now, 1)
    return max(_whole_minute(calendar.add_working_seconds(now, paused_seconds or 0)), floor)


def _whole_minute(at: datetime) -> datetime:
    """Rounds up to the next whole minute, so the hour and minute people are shown are exact."""
    whole = at.replace(second=0, microsecond=0)
    return whole if whole == at else whole + timedelta(minutes=1)


def deadline_after(
    before: Case,
    status: CaseStatus,
    now: datetime,
    policy: Policy,
    calendar: WorkingCalendar,
    *,
    restart: bool,
) -> Deadline | None:
    """Returns the deadline of a case that moves from `before` into `status` at `now`.

    `restart` is False when the case stays where it is (a note, an assignment): it keeps its
    deadline. Moving within review (submitted → in_review) keeps the review deadline too.
    """
    if not restart:
        if before.deadline_kind is None or before.next_deadline_at is None:
            return None
        return Deadline(before.deadline_kind, before.next_deadline_at)
    if status in (CaseStatus.SUBMITTED, CaseStatus.IN_REVIEW):
        if before.status in REVIEW_PAUSES:
            return Deadline(
                DeadlineKind.REVIEW,
                resumed_review_due(before.paused_review_seconds, now, calendar),
            )
        due = before.review_due_at or review_due(before.created_at, policy, calendar)
        return Deadline(DeadlineKind.REVIEW, due)
    return _fresh(status, now, policy, calendar)


def _fresh(
    status: CaseStatus, now: datetime, policy: Policy, calendar: WorkingCalendar
) -> Deadline | None:
    """Returns the deadline that starts when a case enters `status` at `now`."""
    match status:
        case CaseStatus.AWAITING_EVIDENCE:
            return Deadline(DeadlineKind.EVIDENCE, days_from(now, policy.evidence_days, calendar))
        case CaseStatus.AWAITING_MERCHANT:
            at = calendar.add_working_days(now, policy.merchant_working_days)
            return Deadline(DeadlineKind.MERCHANT, at)
        case CaseStatus.NEGOTIATING | CaseStatus.REJECTED:
            at = days_from(now, policy.escalation_days, calendar)
            return Deadline(DeadlineKind.BUYER_DECISION, at)
        case CaseStatus.IN_ARBITRATION:
            at = calendar.add_working_days(now, policy.arbitration_working_days)
            return Deadline(DeadlineKind.ARBITRATION, at)
        case CaseStatus.REFUND_PENDING:
            at = calendar.add_working_days(now, policy.refund_working_days)
            return Deadline(DeadlineKind.REFUND, at)
        case CaseStatus.AWAITING_ASSESSMENT:
            at = calendar.add_working_days(now, policy.assessment_working_days)
            return Deadline(DeadlineKind.ASSESSMENT, at)
        case _:
            return None


def reminder_schedule(deadline: datetime, policy: Policy) -> list[tuple[str, datetime]]:
    """Returns (hours label, instant) of every reminder of a deadline, earliest first.

    A reminder due outside the policy's reminder hours moves earlier, to the end of the last
    window before it: "24 h before a midnight deadline" goes out at 21:00 the evening before,
    not at midnight, and so never after the deadline either.
    """
    tz = ZoneInfo(policy.timezone)
    offsets = sorted(policy.reminder_offsets, reverse=True)
    return [
        (_hours(offset), within_hours(deadline - offset, policy.reminder_hours, tz))
        for offset in offsets
    ]


def reminder_times(deadline: datetime, now: datetime, policy: Policy) -> list[tuple[str, datetime]]:
    """Returns (hours label, instant) of each reminder still ahead, earliest first.

    A reminder still ahead whose moved time has already passed goes out now (the deadline is
    still to come); reminders that meet at one moment are sent once, as the later one.
    """
    offsets = sorted(policy.reminder_offsets, reverse=True)
    times: dict[datetime, str] = {}
    for offset, (label, at) in zip(offsets, reminder_schedule(deadline, policy), strict=True):
        if deadline - offset > now:
            times[max(at, now)] = label
    return sorted(((label, at) for at, label in times.items()), key=lambda pair: pair[1])


def reminder_label(deadline: datetime, now: datetime, policy: Policy) -> str:
    """Labels a reminder firing at `now` by the latest scheduled reminder that has come.

    That is how its jobs are keyed, so a late-running 24 h reminder that fires after the 2 h
    point merges with the 2 h one instead of sending both. Before any has come (a reminder
    pulled forward to now), the hours actually left.
    """
    come = [label for label, at in reminder_schedule(deadline, policy) if at <= now]
    return come[-1] if come else _hours(deadline - now)


def hours_left(deadline: datetime, now: datetime) -> int:
    """Returns the whole hours to a deadline, at least 1, for telling people how long is left."""
    return max(1, round((deadline - now).total_seconds() / 3600))


def within_hours(at: datetime, hours: tuple[time, time], tz: ZoneInfo) -> datetime:
    """Returns `at` if its local time lies in the daily window, else the window's last moment
    before it (the same evening, or the evening before when `at` is early in the morning)."""
    start, end = hours
    local = at.astimezone(tz)
    if start <= local.time() <= end:
        return at
    day = local.date() if local.time() > end else local.date() - timedelta(days=1)
    # The round trip through UTC settles a wall time that a DST change skips or repeats.
    return datetime.combine(day, end, tzinfo=tz).astimezone(UTC).astimezone(tz)


def job_prefix(case_no: str) -> str:
    """Returns the key prefix shared by every reminder and deadline job of a case."""
    return f"case:{case_no}:"


def jobs_for(case: Case, seq: int, now: datetime, policy: Policy) -> list[JobSpec]:
    """Returns the reminder and deadline jobs for the case's current deadline.

    `seq` is the number of the event that set the deadline, so the keys of a later deadline
    never collide with an earlier one's. An open case without a deadline, and a final case (a
    rejected case's escalation window included), need no jobs.
    """
    if not is_open(case.status) or case.deadline_kind is None or case.next_deadline_at is None:
        return []
    deadline = case.next_deadline_at
    base = {
        "case_no": case.case_no,
        "seq": seq,
        "status": case.status.value,
        "deadline_kind": case.deadline_kind.value,
        "deadline_at": deadline.isoformat(),
    }
    prefix = f"{job_prefix(case.case_no)}{seq}"
    jobs = [
        JobSpec(REMINDER_JOB, at, {**base, "hours": label}, f"{prefix}:remind:{label}")
        for label, at in reminder_times(deadline, now, policy)
    ]
    jobs.append(JobSpec(DEADLINE_JOB, deadline, dict(base), f"{prefix}:deadline"))
    return jobs


def _hours(offset: timedelta) -> str:
    """Labels an offset in hours: '24', '2', or '1.5' for an operator's fractional setting."""
    return f"{offset.total_seconds() / 3600:g}"
