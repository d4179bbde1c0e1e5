"""A merchant who stays silent is reminded before the deadline; the deadline then decides."""

from __future__ import annotations

from dataclasses import replace

from cases.deadlines import DEADLINE_JOB, REMINDER_JOB
from cases.model import CaseStatus
from cases.policy import MerchantTimeout, Policy
from cases.workflow import Fired, fire_deadline_job
from dialogs.notices import CaseNotifier
from tests.dialogs.case_support import BUYER, MERCHANT, CaseWorld
from tests.fakes.uow import FakeUnitOfWork


async def run_until_the_deadline_acts(world: CaseWorld) -> list[Fired]:
    """Runs the pending reminder and deadline jobs in time order, as the deadline worker does,
    until one acts on the case (the next status's deadlines are not this test's business)."""
    notifier = world.env.notifier
    assert isinstance(notifier, CaseNotifier)
    fired: list[Fired] = []
    while due := sorted(
        (j for j in world.store.pending_jobs() if j.kind in (REMINDER_JOB, DEADLINE_JOB)),
        key=lambda job: job.due_at,
    ):
        job = due[0]
        world.clock.set(max(world.clock.now(), job.due_at))
        async with FakeUnitOfWork(world.store) as uow:
            env = world.env
            fired.append(
                await fire_deadline_job(
                    uow, env.clock, env.policy, env.calendar, notifier, notifier.remind,
                    job.kind, job.payload,
                )
            )
            assert job.key is not None
            await uow.jobs.finish(job.key, world.clock.now())
            await uow.commit()
        if fired[-1] is Fired.PERFORMED:
            break
    return fired


async def test_silence_is_reminded_then_refunds_the_buyer_and_a_late_answer_is_refused() -> None:
    world = CaseWorld.make()
    case_no = await world.with_merchant()
    fired = await run_until_the_deadline_acts(world)
    assert fired == [Fired.REMINDED, Fired.REMINDED, Fired.PERFORMED]
    sent = [row.payload["key"] for row in world.outbox_to(MERCHANT)]
    assert sent == [
        "notice.merchant.asked",
        "notice.remind.merchant",  # 24 hours before the end of the second working day
        "notice.remind.merchant",  # 2 hours before
        "notice.merchant.timeout_refund",
    ]
    reminder = world.outbox_to(MERCHANT)[2].payload
    buttons = [button["data"] for line in reminder["buttons"] for button in line]
    assert f"mc:off:{case_no}" in buttons
    case = world.case(case_no)
    assert (case.status, case.approved_amount) == (CaseStatus.REFUND_PENDING, 3000)
    assert world.outbox_to(BUYER)[-1].payload["key"] == "notice.buyer.merchant_silent_refund"
    late = await world.chat(MERCHANT).click(f"mc:off:{case_no}")
    assert late.keys == ["case.refusal.wrong_status"]


async def test_silence_escalates_when_the_policy_says_so() -> None:
    world = CaseWorld.make()
    world.env = replace(world.env, policy=Policy(merchant_timeout=MerchantTimeout.ESCALATE))
    world.env = replace(world.env, notifier=CaseNotifier.from_env(world.env))
    case_no = await world.with_merchant()
    await run_until_the_deadline_acts(world)
    assert world.case(case_no).status is CaseStatus.IN_ARBITRATION
    assert world.outbox_to(MERCHANT)[-1].payload["key"] == "notice.merchant.timeout_escalated"
