"""A small world for lifecycle tests: people, a filed case, a recording notifier and reminder,
and a deadline worker that runs due jobs the way the bot's loop will."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cases.calendar import WorkingCalendar
from cases.clock import ManualClock
from cases.deadlines import DEADLINE_JOB, REMINDER_JOB, deadline_after, review_due
from cases.filing import Submission, submit_complaint
from cases.lifecycle import Action
from cases.model import (
    Case,
    CaseStatus,
    DeadlineKind,
    EvidenceFile,
    EvidenceKind,
    Merchant,
    Order,
    OrderStatus,
    Reason,
    RefundKind,
    RefundMethod,
)
from cases.policy import Policy
from cases.ports import UnitOfWork
from cases.workflow import Fired, Outcome, fire_deadline_job, perform
from tests.fakes.uow import FakeStore, FakeUnitOfWork

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkingCalendar(SHANGHAI)
# A Thursday morning; the review deadline 3 working days on is the end of Tuesday 1 December.
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)
BUYER, MERCHANT_USER, AGENT, ARBITRATOR, ADMIN, STRANGER = 1001, 2001, 3001, 3002, 3003, 9999
OTHER_MERCHANT_USER = 2002
ORDER_AMOUNT = 3000  # fen
USER_OF = {
    "buyer": BUYER,
    "merchant": MERCHANT_USER,
    "agent": AGENT,
    "arbitrator": ARBITRATOR,
    "admin": ADMIN,
    "system": None,
}


def make_case(status: CaseStatus = CaseStatus.SUBMITTED, **changes: Any) -> Case:
    """Returns a case filed at NOW, moved to `status` at NOW with that status's deadline."""
    due = review_due(NOW, Policy(), CALENDAR)
    filed = Case(
        case_no="TS20261126-7K3Q9",
        order_no="A1001",
        buyer_id=BUYER,
        status=CaseStatus.SUBMITTED,
        reason=Reason.NOT_DELIVERED,
        description="充值后一直没有到账，联系客服也没有回复。",
        refund_amount=ORDER_AMOUNT,
        refund_method=RefundMethod.ORIGINAL,
        currency="CNY",
        created_at=NOW,
        updated_at=NOW,
        review_due_at=due,
        next_deadline_at=due,
        merchant_code="M01",
        order_amount=ORDER_AMOUNT,
        deadline_kind=DeadlineKind.REVIEW,
    )
    deadline = deadline_after(filed, status, NOW, Policy(), CALENDAR, restart=True)
    moved = replace(
        filed,
        status=status,
        deadline_kind=None if deadline is None else deadline.kind,
        next_deadline_at=None if deadline is None else deadline.at,
    )
    if status is CaseStatus.AWAITING_EVIDENCE:
        moved = replace(moved, paused_review_seconds=CALENDAR.working_seconds_between(NOW, due))
    return replace(moved, **changes)


def make_order(paid_at: datetime = NOW - timedelta(hours=10)) -> Order:
    return Order(
        order_no="A1001",
        buyer_account="Buyer_One",
        merchant_code="M01",
        product="王者荣耀 点券 300",
        category="game_card",
        amount=ORDER_AMOUNT,
        currency="CNY",
        paid_at=paid_at,
        delivered_at=paid_at + timedelta(minutes=5),
        status=OrderStatus.DELIVERED,
    )


def seeded_store(now: datetime = NOW) -> FakeStore:
    """Returns a store with an order paid before `now`, the staff, and two bound merchants."""
    store = FakeStore()
    store.orders["A1001"] = make_order(now - timedelta(hours=10))
    store.staff.update({AGENT: "agent", ARBITRATOR: "arbitrator", ADMIN: "admin"})
    store.merchants["M01"] = Merchant("M01", "星辰卡铺", MERCHANT_USER)
    store.merchants["M02"] = Merchant("M02", "别家卡铺", OTHER_MERCHANT_USER)
    return store


@dataclass
class RecordingNotifier:
    """Records each outcome and queues one outbox row for it, as dialogs' notifier will."""

    outcomes: list[Outcome] = field(default_factory=list)

    async def __call__(self, uow: UnitOfWork, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        await uow.outbox.add(
            outcome.after.buyer_id,
            {"key": f"case.{outcome.event.action}", "params": {"case_no": outcome.after.case_no}},
            outcome.event.at,
            key=f"{outcome.after.case_no}:{outcome.event.seq}",
        )


@dataclass(frozen=True)
class Reminded:
    case_no: str
    status: CaseStatus
    kind: DeadlineKind
    deadline: datetime
    overdue: bool
    at: datetime


@dataclass
class RecordingReminder:
    clock: ManualClock
    calls: list[Reminded] = field(default_factory=list)

    async def __call__(
        self, uow: UnitOfWork, case: Case, kind: DeadlineKind, deadline: datetime, overdue: bool
    ) -> None:
        self.calls.append(
            Reminded(case.case_no, case.status, kind, deadline, overdue, self.clock.now())
        )


class World:
    """A filed case and everyone around it; `act` and `run_jobs_until` commit like the bot."""

    def __init__(self, policy: Policy | None = None, start: datetime = NOW) -> None:
        self.store = seeded_store(start)
        self.clock = ManualClock(start)
        self.policy = policy or Policy()
        self.notifier = RecordingNotifier()
        self.reminder = RecordingReminder(self.clock)
        self.case_no = ""

    async def file(self) -> str:
        submission = Submission(
            order_no="A1001",
            reason=Reason.NOT_DELIVERED,
            description="充值后一直没有到账，联系客服也没有回复。",
            refund_kind=RefundKind.FULL,
            refund_method=RefundMethod.ORIGINAL,
            evidence=(EvidenceFile(EvidenceKind.PHOTO, "file-1", "uniq-1", "image/jpeg", 1000),),
        )
        async with FakeUnitOfWork(self.store) as uow:
            result = await submit_complaint(
                uow, self.clock, self.policy, CALENDAR, BUYER, submission
            )
            await uow.commit()
        self.case_no = result.case_no
        return result.case_no

    @property
    def case(self) -> Case:
        return self.store.cases[self.case_no]

    async def act(
        self,
        action: Action,
        user_id: int | None,
        *,
        amount: int | None = None,
        note: str = "",
        assignee: int | None = None,
    ) -> Outcome:
        async with FakeUnitOfWork(self.store) as uow:
            outcome = await perform(
                uow, self.clock, self.policy, CALENDAR, self.notifier, self.case_no, action,
                user_id, amount=amount, note=note, assignee=assignee,
            )
            await uow.commit()
        return outcome

    def case_jobs(self) -> list[Any]:
        """Returns the pending reminder and deadline jobs, earliest first."""
        kinds = (REMINDER_JOB, DEADLINE_JOB)
        return sorted(
            (job for job in self.store.pending_jobs() if job.kind in kinds),
            key=lambda job: job.due_at,
        )

    async def run_jobs_until(self, moment: datetime) -> list[Fired]:
        """Moves the clock job by job up to `moment`, running each due job once, as the worker."""
        fired: list[Fired] = []
        while (due := [job for job in self.case_jobs() if job.due_at <= moment]):
            job = due[0]
            self.clock.set(max(self.clock.now(), job.due_at))
            async with FakeUnitOfWork(self.store) as uow:
                result = await fire_deadline_job(
                    uow, self.clock, self.policy, CALENDAR, self.notifier, self.reminder,
                    job.kind, job.payload,
                )
                await uow.jobs.finish(job.key, self.clock.now())
                await uow.commit()
            fired.append(result)
        self.clock.set(max(self.clock.now(), moment))
        return fired
