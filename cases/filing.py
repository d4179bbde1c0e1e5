"""Filing a complaint: the service the buyer dialog calls once the buyer presses Submit.

Also the account check that stops a stranger from complaining about someone else's order, and
the look-ups behind "where is my case?". Nothing here commits: the caller's unit of work owns
the transaction, so the case, its first event, its evidence rows and their download jobs land
together or not at all.
"""

from __future__ import annotations

import hmac
import secrets
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from cases.audit import new_audit_salt
from cases.calendar import WorkingCalendar
from cases.checklist import ItemState, event_extra, missing_required, states
from cases.clock import Clock
from cases.deadlines import jobs_for, review_due
from cases.eligibility import (
    DescriptionVerdict,
    EvidenceVerdict,
    OrderVerdict,
    check_description,
    check_evidence,
    check_order,
    check_reason,
    check_refund_amount,
)
from cases.evidence import record_evidence
from cases.history import record
from cases.instant import SILENT, consider
from cases.model import (
    ActorKind,
    Case,
    CaseEvent,
    CaseStatus,
    DeadlineKind,
    EvidenceFile,
    Order,
    Reason,
    RefundKind,
    RefundMethod,
    evidence_required,
)
from cases.numbering import new_case_number
from cases.policy import Policy
from cases.ports import DuplicateCaseNumberError, OpenCaseExistsError, UnitOfWork
from cases.workflow import Notifier, Outcome

SUBMIT_ACTION = "submit"
# 2**25 numbers a payment day: a second collision in a row means something else is wrong.
MAX_NUMBER_ATTEMPTS = 8


@dataclass(frozen=True)
class Submission:
    """What the buyer confirmed on the summary; the amount only matters for a partial refund."""

    order_no: str
    reason: Reason
    description: str
    refund_kind: RefundKind
    refund_method: RefundMethod
    partial_amount: int | None = None  # fen
    evidence: tuple[EvidenceFile, ...] = ()
    ticked: tuple[str, ...] = ()  # the checklist items the buyer ticked (cases/checklist.py)

    def checklist(self, policy: Policy) -> list[ItemState]:
        """The reason's checklist with the buyer's ticks."""
        return states(policy.checklist(self.reason), policy.evidence_required_items, self.ticked)


@dataclass(frozen=True)
class SubmitResult:
    case_no: str
    review_due_at: datetime | None
    created: bool  # False: the order already had an open case, which is returned instead
    # The checklist items still missing when the case was filed (empty for an existing case).
    missing: tuple[str, ...] = ()
    instant: bool = False  # refunded at once by the instant refund rule (cases/instant.py)


class SubmissionRefused(Exception):
    """The submission breaks a platform rule; nothing was written. `rule` names the rule."""

    def __init__(self, rule: str) -> None:
        super().__init__(rule)
        self.rule = rule


class CaseNumberExhaustedError(RuntimeError):
    """Every drawn case number was taken: the random source or the store is broken."""


def requested_amount(
    order: Order, policy: Policy, kind: RefundKind, partial_amount: int | None
) -> int:
    """Returns the refund the buyer asks for: the cap for a full refund, else their amount."""
    if kind is RefundKind.FULL:
        return policy.refund_cap(order.amount)
    if partial_amount is None:
        raise SubmissionRefused("partial_amount_missing")
    return partial_amount


def _refusal(order: Order | None, submission: Submission, now: datetime, policy: Policy) -> str:
    """Returns the first rule the submission breaks, or "" when it may be filed."""
    if order is None:
        return OrderVerdict.UNKNOWN.value
    verdict = check_order(order, now, policy, None).verdict
    if verdict is not OrderVerdict.OK:
        return verdict.value
    reason_check = check_reason(order, submission.reason, now, policy)
    if reason_check.custom:
        return OrderVerdict.CUSTOM.value
    if not reason_check.ok:
        return "reason_window_closed"
    if check_description(submission.description, policy) is not DescriptionVerdict.OK:
        return "description"
    if evidence_required(submission.reason) and not submission.evidence:
        return "evidence_required"
    if missing_required(submission.checklist(policy)):
        return "checklist_required"
    accepted: list[EvidenceFile] = []
    for file in submission.evidence:
        if check_evidence(file, accepted, policy) is not EvidenceVerdict.OK:
            return "evidence"
        accepted.append(file)
    if submission.refund_kind is RefundKind.PARTIAL:
        amount = submission.partial_amount
        if amount is None or not check_refund_amount(amount, order, policy).ok:
            return "refund_amount"
    return ""


async def submit_complaint(
    uow: UnitOfWork,
    clock: Clock,
    policy: Policy,
    calendar: WorkingCalendar,
    buyer_id: int,
    submission: Submission,
    *,
    notifier: Notifier | None = None,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
) -> SubmitResult:
    """Opens the case, or returns the order's open case when there already is one.

    `notifier` queues the staff chat's new-case notice in this same transaction.

    Raises SubmissionRefused when a rule is broken (the dialog checks each rule as the buyer
    answers, so this only fires when time or data moved between the summary and Submit).
    """
    now = clock.now()
    existing = await uow.cases.open_for_order(submission.order_no)
    if existing is not None:
        return _existing(existing)
    order = await uow.orders.get(submission.order_no)
    rule = _refusal(order, submission, now, policy)
    if rule or order is None:
        raise SubmissionRefused(rule or OrderVerdict.UNKNOWN.value)

    amount = requested_amount(order, policy, submission.refund_kind, submission.partial_amount)
    checklist = submission.checklist(policy)
    review_due_at = review_due(now, policy, calendar)
    case_no = ""
    for _ in range(MAX_NUMBER_ATTEMPTS):
        case_no = new_case_number(order.paid_at, calendar.tz, random_bytes)
        case = Case(
            case_no=case_no,
            order_no=order.order_no,
            buyer_id=buyer_id,
            status=CaseStatus.SUBMITTED,
            reason=submission.reason,
            description=submission.description.strip(),
            refund_amount=amount,
            refund_method=submission.refund_method,
            currency=order.currency,
            created_at=now,
            updated_at=now,
            review_due_at=review_due_at,
            evidence_count=len(submission.evidence),
            next_deadline_at=review_due_at,
            merchant_code=order.merchant_code,
            order_amount=order.amount,
            deadline_kind=DeadlineKind.REVIEW,
            audit_salt=new_audit_salt(),
        )
        try:
            await uow.cases.add(case)
        except DuplicateCaseNumberError:
            continue
        except OpenCaseExistsError as exc:
            # Another update for the same order won the race: one case per order.
            other = await uow.cases.get(exc.case_no)
            if other is None:
                raise
            return _existing(other)
        break
    else:
        raise CaseNumberExhaustedError(f"no free case number after {MAX_NUMBER_ATTEMPTS} draws")

    first = CaseEvent(
        case_no=case_no,
        seq=0,
        at=now,
        actor_kind=ActorKind.BUYER,
        actor_id=buyer_id,
        action=SUBMIT_ACTION,
        from_status=None,
        to_status=CaseStatus.SUBMITTED,
        amount=amount,
        extra={
            "order_no": order.order_no,
            "reason": submission.reason.value,
            "refund_kind": submission.refund_kind.value,
            "refund_method": submission.refund_method.value,
            "evidence_count": str(len(submission.evidence)),
            **event_extra(checklist),
        },
    )
    # The files first, so the first event seals them with the case row.
    await record_evidence(uow, case_no, submission.evidence, now)
    first = await record(uow, case, first)
    # The review deadline's reminders and its expiry, keyed so the first transition cancels them.
    for job in jobs_for(case, first.seq, now, policy):
        await uow.jobs.add(job.kind, job.due_at, job.payload, key=job.key)
    if notifier is not None:
        await notifier(uow, Outcome(before=case, after=case, event=first))
    verdict = await consider(uow, clock, policy, calendar, notifier or SILENT, case, order)
    return SubmitResult(
        case_no=case_no,
        review_due_at=review_due_at,
        created=True,
        missing=tuple(state.item.value for state in checklist if not state.given),
        instant=verdict is not None and verdict.approved,
    )


def _existing(case: Case) -> SubmitResult:
    due = case.review_due_at
    return SubmitResult(
        case_no=case.case_no,
        review_due_at=due,
        created=False,
    )


class OwnershipVerdict(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"


@dataclass(frozen=True)
class OwnershipResult:
    verdict: OwnershipVerdict
    attempts_left: int = 0  # for WRONG
    locked_until: datetime | None = None  # for LOCKED

    @property
    def ok(self) -> bool:
        return self.verdict is OwnershipVerdict.OK


def _account_key(text: str) -> bytes:
    # Full-width letters from a Chinese input method mean the same account name.
    return unicodedata.normalize("NFKC", text).strip().casefold().encode("utf-8")


async def ownership_lock(
    uow: UnitOfWork, clock: Clock, policy: Policy, user_id: int, order_no: str
) -> datetime | None:
    """Returns until when this user may not answer for this order, or None when they may."""
    limit = policy.ownership_max_failures
    failures = await uow.ownership.latest_failures(user_id, order_no, limit)
    if len(failures) < limit:
        return None
    until = max(failures) + policy.ownership_lock
    return until if clock.now() < until else None


async def verify_account(
    uow: UnitOfWork, clock: Clock, policy: Policy, user_id: int, order: Order, answer: str
) -> OwnershipResult:
    """Checks the platform account the buyer names for the order; never tells the right one.

    The failures are stored (not kept in the dialog), so /cancel or a restart does not give a
    guesser fresh attempts. A served lock starts a fresh round of attempts.
    """
    now = clock.now()
    limit = policy.ownership_max_failures
    failures = list(await uow.ownership.latest_failures(user_id, order.order_no, limit))
    if len(failures) >= limit:
        until = max(failures) + policy.ownership_lock
        if now < until:
            return OwnershipResult(OwnershipVerdict.LOCKED, locked_until=until)
        await uow.ownership.clear(user_id, order.order_no)
        failures = []
    # compare_digest: the answer's timing tells nothing about the right account.
    if hmac.compare_digest(_account_key(answer), _account_key(order.buyer_account)):
        await uow.ownership.clear(user_id, order.order_no)
        return OwnershipResult(OwnershipVerdict.OK)
    await uow.ownership.record_failure(user_id, order.order_no, now)
    used = len(failures) + 1
    if used >= limit:
        return OwnershipResult(OwnershipVerdict.LOCKED, locked_until=now + policy.ownership_lock)
    return OwnershipResult(OwnershipVerdict.WRONG, attempts_left=limit - used)


async def case_for_viewer(uow: UnitOfWork, user_id: int, case_no: str) -> Case | None:
    """Returns the case if this user may see it (its buyer or staff), else None.

    "Not yours" and "does not exist" look the same, so case numbers cannot be probed.
    """
    case = await uow.cases.get(case_no)
    if case is None:
        return None
    if case.buyer_id == user_id:
        return case
    if await uow.staff.role_of(user_id) is not None:
        return case
    return None


async def recent_cases(uow: UnitOfWork, user_id: int, limit: int = 10) -> Sequence[Case]:
    """Returns the buyer's newest cases first."""
    return await uow.cases.list_for_buyer(user_id, limit)
