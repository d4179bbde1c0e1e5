"""cases/filing.py: opening a case, the ownership check, and who may look a case up."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from cases.calendar import WorkingCalendar
from cases.clock import ManualClock
from cases.filing import (
    CaseNumberExhaustedError,
    OwnershipVerdict,
    Submission,
    SubmissionRefused,
    SubmitResult,
    case_for_viewer,
    recent_cases,
    submit_complaint,
    verify_account,
)
from cases.model import (
    Case,
    CaseStatus,
    Order,
    Reason,
    RefundKind,
    RefundMethod,
)
from cases.policy import Policy
from cases.ports import OpenCaseExistsError
from tests.fakes.chat import NOW, SHANGHAI, make_order, photo
from tests.fakes.uow import FakeCases, FakeStore, FakeUnitOfWork

DESCRIPTION = "商家一直没有发货，客服也联系不上。"
CALENDAR = WorkingCalendar(SHANGHAI)


def submission(**changes: object) -> Submission:
    base = Submission(
        order_no="A1001",
        reason=Reason.NOT_DELIVERED,
        description=DESCRIPTION,
        refund_kind=RefundKind.FULL,
        refund_method=RefundMethod.ORIGINAL,
        evidence=(photo(1),),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def counting_bytes(*values: int) -> Callable[[int], bytes]:
    """A random source that yields the given suffix values, in order."""
    numbers: Iterator[int] = iter(values)

    def draw(size: int) -> bytes:
        return next(numbers).to_bytes(size, "big")

    return draw


@pytest.fixture
def uow() -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    uow.store.orders["A1001"] = make_order()
    return uow


async def file(
    uow: FakeUnitOfWork,
    sub: Submission | None = None,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
) -> SubmitResult:
    return await submit_complaint(
        uow, ManualClock(NOW), Policy(), CALENDAR, 1001, sub or submission(),
        random_bytes=random_bytes,
    )


async def test_a_taken_case_number_is_drawn_again(uow: FakeUnitOfWork) -> None:
    taken = replace(some_case(), order_no="OTHER", case_no="TS20261125-00000")
    uow.store.cases = {taken.case_no: taken}

    result = await file(uow, random_bytes=counting_bytes(0, 1))

    assert result.case_no == "TS20261125-00001"
    assert set(uow.store.cases) == {"TS20261125-00000", "TS20261125-00001"}


async def test_a_broken_random_source_gives_up_instead_of_looping(uow: FakeUnitOfWork) -> None:
    taken = replace(some_case(), order_no="OTHER", case_no="TS20261125-00000")
    uow.store.cases = {taken.case_no: taken}

    with pytest.raises(CaseNumberExhaustedError):
        await file(uow, random_bytes=counting_bytes(*[0] * 20))


async def test_a_second_submission_returns_the_open_case(uow: FakeUnitOfWork) -> None:
    first = await file(uow)

    second = await file(uow)

    assert second.created is False
    assert second.case_no == first.case_no
    assert second.review_due_at == datetime(2026, 12, 2, tzinfo=SHANGHAI)
    assert len(uow.store.cases) == 1
    assert len(uow.store.events[first.case_no]) == 1


class RacingCases(FakeCases):
    """Another process opens a case for the order between the check and the insert."""

    async def open_for_order(self, order_no: str) -> Case | None:
        return None

    async def add(self, case: Case) -> None:
        winner = replace(case, case_no="TS20261125-RACE0")
        self._s.cases[winner.case_no] = winner
        raise OpenCaseExistsError(winner.case_no)


async def test_losing_the_race_for_the_order_returns_the_winners_case(
    uow: FakeUnitOfWork,
) -> None:
    uow.cases = RacingCases(uow.store)

    result = await file(uow)

    assert result.created is False
    assert result.case_no == "TS20261125-RACE0"
    assert uow.store.events == {}
    assert uow.store.jobs == []


@pytest.mark.parametrize(
    ("order", "sub", "rule"),
    [
        (None, submission(), "unknown"),
        (make_order(paid_at=NOW - timedelta(days=8)), submission(), "window_closed"),
        (make_order(category="custom"), submission(reason=Reason.NOT_SATISFIED), "custom"),
        (make_order(delivered_at=NOW - timedelta(hours=49)),
         submission(reason=Reason.CARD_INVALID), "reason_window_closed"),
        (make_order(), submission(description="短"), "description"),
        (make_order(), submission(evidence=()), "evidence_required"),
        (make_order(), submission(evidence=(photo(1), photo(1))), "evidence"),
        (make_order(), submission(refund_kind=RefundKind.PARTIAL, partial_amount=3001),
         "refund_amount"),
        (make_order(), submission(refund_kind=RefundKind.PARTIAL), "refund_amount"),
    ],
)
async def test_a_submission_that_breaks_a_rule_writes_nothing(
    order: Order | None, sub: Submission, rule: str
) -> None:
    uow = FakeUnitOfWork()
    if order is not None:
        uow.store.orders["A1001"] = order

    with pytest.raises(SubmissionRefused) as refused:
        await file(uow, sub)

    assert refused.value.rule == rule
    assert uow.store.cases == {}
    assert uow.store.jobs == []


async def test_other_and_not_satisfied_need_no_evidence(uow: FakeUnitOfWork) -> None:
    result = await file(uow, submission(reason=Reason.OTHER, evidence=()))

    assert result.created


async def test_the_review_deadline_skips_holidays_of_the_calendar(uow: FakeUnitOfWork) -> None:
    holiday = WorkingCalendar(SHANGHAI, extra_holidays=frozenset({date(2026, 11, 27)}))

    result = await submit_complaint(uow, ManualClock(NOW), Policy(), holiday, 1001, submission())

    assert result.review_due_at == datetime(2026, 12, 3, tzinfo=SHANGHAI)


async def test_a_full_refund_asks_for_the_cap(uow: FakeUnitOfWork) -> None:
    policy = Policy(refund_cap_amount=2000)

    result = await submit_complaint(uow, ManualClock(NOW), policy, CALENDAR, 1001, submission())

    assert uow.store.cases[result.case_no].refund_amount == 2000


# --- Ownership ------------------------------------------------------------------------------


async def test_verify_account_counts_down_then_locks_then_unlocks(uow: FakeUnitOfWork) -> None:
    clock, policy, order = ManualClock(NOW), Policy(), make_order()

    results = [await verify_account(uow, clock, policy, 7, order, "nope") for _ in range(4)]

    assert [(r.verdict, r.attempts_left) for r in results] == [
        (OwnershipVerdict.WRONG, 2), (OwnershipVerdict.WRONG, 1),
        (OwnershipVerdict.LOCKED, 0), (OwnershipVerdict.LOCKED, 0),
    ]
    assert results[2].locked_until == NOW + timedelta(hours=1)
    assert len(uow.store.failures[(7, "A1001")]) == 3  # answers while locked are not counted
    clock.advance(timedelta(hours=1))
    assert (await verify_account(uow, clock, policy, 7, order, "ＢＵＹＥＲ_one")).ok


async def test_case_for_viewer(uow: FakeUnitOfWork) -> None:
    result = await file(uow)
    case_no = result.case_no
    uow.store.staff[5] = "arbitrator"

    assert await case_for_viewer(uow, 1001, case_no) is not None
    assert await case_for_viewer(uow, 5, case_no) is not None
    assert await case_for_viewer(uow, 6, case_no) is None
    assert await case_for_viewer(uow, 1001, "TS20261125-00000") is None


async def test_recent_cases_are_the_buyers_newest_first(uow: FakeUnitOfWork) -> None:
    base = some_case()
    for n in range(3):
        case = replace(base, case_no=f"TS20261125-0000{n}", created_at=NOW + timedelta(minutes=n))
        uow.store.cases[case.case_no] = case

    cases = await recent_cases(uow, 1001, limit=2)

    assert [case.case_no for case in cases] == ["TS20261125-00002", "TS20261125-00001"]


def some_case() -> Case:
    return Case(
        case_no="TS20261125-AAAAA", order_no="A1001", buyer_id=1001, status=CaseStatus.CLOSED,
        reason=Reason.OTHER, description=DESCRIPTION, refund_amount=100,
        refund_method=RefundMethod.BALANCE, currency="CNY", created_at=NOW, updated_at=NOW,
        review_due_at=None,
    )


def test_the_fake_store_is_shared_between_units_of_work() -> None:
    store = FakeStore()
    assert FakeUnitOfWork(store).store is store
