"""Pays approved refunds through the platform gateway (PLATFORM_GATEWAY), one job per approval.

With the manual gateway nothing is sent: staff confirm the payout with a button. With the HTTP
gateway the case number is the idempotency key, so asking again is always safe: an `accepted`
refund is asked about again later until the platform says `paid`, which confirms the refund as
the system; a refusal goes to the staff chat to be paid by hand.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.backoff import Backoff
from bot.job_runs import complete_job
from bot.leases import LEASE
from cases.lifecycle import Action, TransitionRefused
from cases.model import CaseStatus
from cases.refunds import PAYOUT_JOB, PlatformGateway, RefundStatus, refund_request
from cases.workflow import perform

if TYPE_CHECKING:
    from bot.deps import Deps
    from storage.jobs import Job

log = logging.getLogger(__name__)

# How soon to ask again about a refund the platform accepted but has not paid yet.
ASK_AGAIN = timedelta(minutes=30)
IDLE = 2.0  # seconds between looks for due payouts when none was due (bot/runner.py)


# 1 min, 2 min, 4 min … capped at 1 h: the platform's outage, not ours.
backoff = Backoff(timedelta(minutes=1), cap=timedelta(hours=1))


class PayoutWorker:
    def __init__(self, deps: Deps, gateway: PlatformGateway, worker_id: str) -> None:
        self.deps = deps
        self.gateway = gateway
        self.worker_id = worker_id

    async def run_once(self, limit: int = 10) -> int:
        now = self.deps.clock.now()
        async with self.deps.uow() as uow:
            jobs = await uow.jobs.claim_due(now, self.worker_id, LEASE, limit, kinds=[PAYOUT_JOB])
            await uow.commit()
        for job in jobs:
            await self._pay(job)
        return len(jobs)

    async def _pay(self, job: Job) -> None:
        deps = self.deps
        case_no = str(job.payload["case_no"])
        async with deps.uow() as uow:
            case = await uow.cases.get(case_no)
            order = None if case is None else await uow.orders.get(case.order_no)
        if case is None or case.status is not CaseStatus.REFUND_PENDING:
            await self._complete(job)  # paid by hand meanwhile, or gone: nothing to do
            return
        amount = case.approved_amount if case.approved_amount is not None else case.refund_amount
        request = refund_request(case, amount, None if order is None else order.buyer_account)
        if not await deps.liveness.wait_fresh():
            return  # taken over (bot/heartbeat.py): the job is another process's now
        # The call happens outside any transaction: a slow platform must not hold a lock.
        result = await self.gateway.request_refund(request)
        now = deps.clock.now()
        async with deps.uow() as uow:
            if result.status is RefundStatus.PAID:
                try:
                    await perform(
                        uow, deps.clock, deps.policy, deps.calendar, deps.notifier,
                        case_no, Action.CONFIRM_REFUND, None,
                        note=f"platform reference {result.reference}",
                    )
                except TransitionRefused:
                    log.info("refund of %s was confirmed meanwhile", case_no)
                await uow.jobs.complete(job.id, now)
            elif result.status is RefundStatus.ACCEPTED:
                await uow.jobs.retry(job.id, now, "accepted, not paid yet", now + ASK_AGAIN)
            elif result.status is RefundStatus.REJECTED:
                await deps.notifier.payout_refused(uow, case, result.reason or "")
                await uow.jobs.complete(job.id, now)
            elif result.status is RefundStatus.RETRY:
                wait = result.retry_after or backoff(job.attempts + 1)
                await uow.jobs.retry(job.id, now, result.reason or "retry", now + wait)
            else:  # MANUAL: staff pay and confirm with the button on their notice
                await uow.jobs.complete(job.id, now)
            await uow.commit()
        log.info("payout of %s: %s", case_no, result.status)

    async def _complete(self, job: Job) -> None:
        await complete_job(self.deps, job)
