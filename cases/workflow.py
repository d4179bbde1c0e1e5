"""Working a case: the service dialogs and the bot call to move a case, and to fire its deadlines.

`perform` is the one way a case changes after filing. In the caller's unit of work it decides
(`cases.lifecycle.decide`), appends the chained event, saves the case, replaces the case's pending
reminder and deadline jobs, and hands the outcome to a `Notifier`, which writes the messages the
change causes into the outbox of the same transaction. It never commits: the caller does, so the
change, its event, its jobs and its messages land together or not at all.

`fire_deadline_job` is what the deadline worker runs for a `case_reminder` or `case_deadline`
job: a reminder still current reaches the `Reminder`; an expired buyer or merchant deadline is
acted on as the system (evidence_timeout, merchant_timeout, escalation_expired); an expired staff
deadline reaches the `Reminder` once more, marked overdue, as the alert to staff.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from cases.calendar import WorkingCalendar
from cases.clock import Clock
from cases.deadlines import DEADLINE_JOB, REMINDER_JOB, expiry_action, job_prefix, jobs_for
from cases.four_eyes import Proposal, needs_second
from cases.history import record
from cases.instant_rule import contest_refusal, contest_window_end
from cases.lifecycle import Action, Actor, Refusal, TransitionRefused, decide, rule_for
from cases.model import ActorKind, Case, CaseEvent, CaseStatus, DeadlineKind, is_open
from cases.policy import Policy
from cases.ports import UnitOfWork
from cases.refunds import PAYOUT_JOB

# Staff kinds are tried first, so an admin who is also the buyer of a test order acts as staff
# where staff may act; no row of the table lets both staff and a buyer or merchant act.
_PREFERENCE = (
    ActorKind.ADMIN,
    ActorKind.ARBITRATOR,
    ActorKind.AGENT,
    ActorKind.MERCHANT,
    ActorKind.BUYER,
)


_STAFF_ROLES = frozenset({ActorKind.AGENT, ActorKind.ARBITRATOR, ActorKind.ADMIN})


class CaseNotFound(LookupError):
    """No case has this number."""

    def __init__(self, case_no: str) -> None:
        super().__init__(case_no)
        self.case_no = case_no


@dataclass(frozen=True)
class Outcome:
    """A change made by `perform`: the case before and after, and its chained event."""

    before: Case
    after: Case
    event: CaseEvent

    @property
    def action(self) -> Action:
        return Action(self.event.action)

    @property
    def status_changed(self) -> bool:
        return self.before.status is not self.after.status


class Notifier(Protocol):
    """Queues the messages an outcome causes (outbox rows) in the caller's transaction."""

    async def __call__(self, uow: UnitOfWork, outcome: Outcome) -> None: ...


class Reminder(Protocol):
    """Tells whoever a deadline waits for that it is near, or (`overdue`) staff that it passed."""

    async def __call__(
        self, uow: UnitOfWork, case: Case, kind: DeadlineKind, deadline: datetime, overdue: bool
    ) -> None: ...


class Fired(StrEnum):
    """What `fire_deadline_job` did."""

    OBSOLETE = "obsolete"  # the case moved on since the job was scheduled: nothing to do
    REMINDED = "reminded"  # a reminder went to the Reminder
    ALERTED = "alerted"  # a staff deadline passed: the Reminder was told, overdue
    PERFORMED = "performed"  # the expiry action was taken as the system


async def actor_for(uow: UnitOfWork, case: Case, action: Action, user_id: int | None) -> Actor:
    """Returns who `user_id` is for this case, as the kind the action allows.

    None is the system. A user may be several kinds at once (staff, the case's buyer, the
    merchant of its order); the first the action's rule allows is used. Raises
    TransitionRefused(not_allowed_for_role) when none is.
    """
    allowed = rule_for(action).actors
    if user_id is None:
        kinds = {ActorKind.SYSTEM}
    else:
        kinds = set()
        if user_id == case.buyer_id:
            kinds.add(ActorKind.BUYER)
        merchant = await uow.merchants.by_user(user_id)
        if merchant is not None and case.merchant_code and merchant.code == case.merchant_code:
            kinds.add(ActorKind.MERCHANT)
        role = await uow.staff.role_of(user_id)
        if role in _STAFF_ROLES:
            kinds.add(ActorKind(role))
    for kind in (*_PREFERENCE, ActorKind.SYSTEM):
        if kind in kinds and kind in allowed:
            return Actor(kind, user_id)
    raise TransitionRefused(Refusal.NOT_ALLOWED_FOR_ROLE, case.status)


async def perform(
    uow: UnitOfWork,
    clock: Clock,
    policy: Policy,
    calendar: WorkingCalendar,
    notifier: Notifier,
    case_no: str,
    action: Action,
    user_id: int | None,
    *,
    amount: int | None = None,
    note: str = "",
    assignee: int | None = None,
    confirms: Proposal | None = None,
    extra: dict[str, str] | None = None,
) -> Outcome:
    """Takes `action` on the case as `user_id` (None: the system); does not commit.

    A step that needs four eyes (cases/four_eyes.py) is taken only as the confirmation of
    another staff member's proposal of exactly this step (`confirms`). `extra` goes into the
    event as it is (an automatic decision's rule and inputs). Raises CaseNotFound, or
    TransitionRefused before anything is written.
    """
    now = clock.now()
    case = await uow.cases.get(case_no)
    if case is None:
        raise CaseNotFound(case_no)
    actor = await actor_for(uow, case, action, user_id)
    if action is Action.MERCHANT_CONTEST and case.status in rule_for(action).sources:
        # The window lives in the history (when the instant refund was paid), not in the row.
        history = await uow.events.list(case_no)
        refusal = contest_refusal(history, now, policy, calendar)
        if refusal is not None:
            raise TransitionRefused(refusal, case.status)
        end = contest_window_end(history, policy, calendar)
        extra = {**(extra or {}), "contest_window_end": end.isoformat() if end else ""}
    decision = decide(
        case, action, actor, now, policy, calendar,
        amount=amount, note=note, assignee=assignee, extra=extra,
    )
    after = decision.after
    guarded = needs_second(case, action, amount, policy) and actor.kind in _STAFF_ROLES
    if guarded and not _confirmed(confirms, action, amount, note, user_id):
        raise TransitionRefused(Refusal.SECOND_STAFF_REQUIRED, case.status)
    if assignee is not None and action is Action.ASSIGN and not await uow.staff.role_of(assignee):
        raise TransitionRefused(Refusal.ASSIGNEE_NOT_STAFF, case.status)
    if not is_open(case.status) and is_open(after.status):
        # Escalating a rejected case reopens it, but the buyer may have filed anew meanwhile.
        other = await uow.cases.open_for_order(case.order_no)
        if other is not None and other.case_no != case.case_no:
            raise TransitionRefused(Refusal.ANOTHER_CASE_OPEN, case.status)

    decided = decision.event
    if confirms is not None:
        proposed = {"proposed_by": str(confirms.by), "proposal_seq": str(confirms.seq)}
        decided = replace(decided, extra={**decided.extra, **proposed})
    event = await record(uow, after, decided)
    await uow.cases.update(after)
    if _deadline_state(case) != _deadline_state(after):
        await uow.jobs.cancel(job_prefix(case_no), now)
        for job in jobs_for(after, event.seq, now, policy):
            await uow.jobs.add(job.kind, job.due_at, job.payload, key=job.key)
    if after.status is CaseStatus.REFUND_PENDING and case.status is not CaseStatus.REFUND_PENDING:
        # The approval and the order to pay commit together: a crash cannot lose the payout.
        await uow.jobs.add(
            PAYOUT_JOB, now, {"case_no": case_no}, key=f"payout:{case_no}:{event.seq}"
        )
    outcome = Outcome(case, after, event)
    await notifier(uow, outcome)
    return outcome


def _confirmed(
    proposal: Proposal | None, action: Action, amount: int | None, note: str, user_id: int | None
) -> bool:
    """Tells whether `user_id` confirms someone else's proposal of exactly this step."""
    if proposal is None or proposal.by == user_id:
        return False
    return (proposal.action, proposal.amount, proposal.note) == (action, amount, note.strip())


def _deadline_state(case: Case) -> tuple[CaseStatus, DeadlineKind | None, datetime | None]:
    return case.status, case.deadline_kind, case.next_deadline_at


async def fire_deadline_job(
    uow: UnitOfWork,
    clock: Clock,
    policy: Policy,
    calendar: WorkingCalendar,
    notifier: Notifier,
    reminder: Reminder,
    kind: str,
    payload: Mapping[str, Any],
) -> Fired:
    """Runs one `case_reminder` or `case_deadline` job (see cases.deadlines.jobs_for).

    A job whose case has moved on (another status or deadline than the payload names) is
    obsolete and does nothing, so a job that escaped cancellation never acts twice. Does not
    commit; the caller completes the job in the same transaction.
    """
    if kind not in (REMINDER_JOB, DEADLINE_JOB):
        raise ValueError(f"not a case deadline job: {kind}")
    case = await uow.cases.get(str(payload["case_no"]))
    deadline_kind = DeadlineKind(payload["deadline_kind"])
    deadline = datetime.fromisoformat(str(payload["deadline_at"]))
    if case is None or _deadline_state(case) != (
        CaseStatus(payload["status"]),
        deadline_kind,
        deadline,
    ):
        return Fired.OBSOLETE
    if kind == REMINDER_JOB:
        await reminder(uow, case, deadline_kind, deadline, False)
        return Fired.REMINDED
    action = expiry_action(deadline_kind)
    if action is None:
        await reminder(uow, case, deadline_kind, deadline, True)
        return Fired.ALERTED
    if case.status not in rule_for(action).sources:
        return Fired.OBSOLETE
    await perform(uow, clock, policy, calendar, notifier, case.case_no, action, None)
    return Fired.PERFORMED
