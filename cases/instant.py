"""Instant refund at submit: gathers the buyer's standing, applies the rule, records the verdict.

Filing (cases/filing.py) calls `consider` in the transaction that opens the case. An approval is
the lifecycle's `instant_refund`, taken as the system through `perform`, so the payout job, the
notices and the chained event come with it exactly as for a staff approval. A case the rule
turns down is recorded too (`instant_refund_declined`, the case does not move): every automatic
decision is in the audit chain with its rule and inputs.
"""

from __future__ import annotations

from datetime import timedelta

from cases.actions import Action
from cases.audit import seal_event
from cases.calendar import WorkingCalendar
from cases.clock import Clock
from cases.history import record
from cases.instant_rule import Standing, Verdict, judge
from cases.model import Case, CaseStatus, Order, is_open
from cases.policy import Policy
from cases.ports import UnitOfWork
from cases.workflow import Notifier, Outcome, perform

DECLINED = "instant_refund_declined"
# A buyer with more cases than this is no small clear-cut case of good standing anyway.
_HISTORY_LIMIT = 200


async def standing_of(uow: UnitOfWork, case: Case, order: Order, policy: Policy) -> Standing:
    """The buyer's record: recent rejections, other open cases, the account's first order."""
    since = case.created_at - timedelta(days=policy.instant_refund_rejected_days)
    cases = await uow.cases.list_for_buyer(case.buyer_id, _HISTORY_LIMIT)
    others = [c for c in cases if c.case_no != case.case_no]
    return Standing(
        rejected_recently=sum(
            1 for c in others if c.status is CaseStatus.REJECTED and c.updated_at >= since
        ),
        open_others=sum(1 for c in others if is_open(c.status)),
        # The risk signals read the account's first order already (cases/risk.py).
        first_paid_at=(await uow.risk.facts(case, since)).first_order_at,
    )


async def consider(
    uow: UnitOfWork,
    clock: Clock,
    policy: Policy,
    calendar: WorkingCalendar,
    notifier: Notifier,
    case: Case,
    order: Order,
) -> Verdict | None:
    """Refunds the new case at once when the rule says so; None when the rule is switched off."""
    if not policy.instant_refund:
        return None
    verdict = judge(case, order, await standing_of(uow, case, order, policy), clock.now(), policy)
    if verdict.approved:
        await perform(
            uow, clock, policy, calendar, notifier, case.case_no, Action.INSTANT_REFUND, None,
            amount=case.refund_amount, extra=verdict.extra(),
        )
        return verdict
    current = await uow.cases.get(case.case_no) or case
    # Like a seal, a system event that moves the case nowhere; unlike one, staff see it.
    event = seal_event(current, clock.now(), DECLINED, verdict.extra())
    await record(uow, current, event)
    return verdict


async def _silent(uow: UnitOfWork, outcome: Outcome) -> None:
    """Queues nothing: for callers that file without notices (tests, imports)."""


SILENT: Notifier = _silent
