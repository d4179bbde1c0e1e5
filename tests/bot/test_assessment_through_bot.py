"""A third-party assessment through the real dispatcher: its wait, reminder, missed deadline."""

from __future__ import annotations

from datetime import timedelta

from bot.deadlines import DeadlineWorker
from cases.model import CaseStatus, DeadlineKind
from tests.bot.harness import BotHarness
from tests.bot.test_deadline_worker import outbox
from tests.bot.test_staff_chat import AGENT, BUYER, STAFF_GROUP, in_group, status_of
from tests.bot.test_staff_chat import case_no as case_no  # the filed case (fixture)
from tests.bot.test_staff_chat import harness as harness  # the staff group's bot (fixture)


async def keys_to(harness: BotHarness, chat_id: int) -> list[str]:
    return [row.payload["key"] for row in await outbox(harness) if row.chat_id == chat_id]


async def test_an_assessment_waits_with_its_deadline_reminds_staff_and_alerts_once_missed(
    harness: BotHarness, case_no: str
) -> None:
    agent = in_group(harness, AGENT)
    await agent.send(f"/take {case_no}")
    await agent.send(f"/case {case_no}")
    await agent.click("送第三方鉴定")
    question = agent.messages()[-1]
    assert "送哪家第三方鉴定" in question.plain_text
    await agent.feed(agent.fake.build_text("送检测机构鉴定充值截图", reply_to=question.message_id))
    assert "已送第三方鉴定" in agent.last_text()
    assert await status_of(harness, case_no) is CaseStatus.AWAITING_ASSESSMENT
    assert "notice.buyer.assessment_started" in await keys_to(harness, BUYER)
    async with harness.deps.uow() as uow:
        case = await uow.cases.get(case_no)
    assert case is not None
    assert case.deadline_kind is DeadlineKind.ASSESSMENT
    due = case.next_deadline_at
    assert due is not None
    assert due - harness.clock.now() > timedelta(days=13)

    worker = DeadlineWorker(harness.deps, "w1")
    harness.clock.set(due - timedelta(hours=23))
    while await worker.run_once():
        pass
    assert "notice.remind.assessment" in await keys_to(harness, STAFF_GROUP)
    harness.clock.set(due + timedelta(minutes=1))
    while await worker.run_once():
        pass
    overdue = [r for r in await outbox(harness) if r.key and r.key.startswith("overdue:")]
    assert [(r.chat_id, r.payload["params"]["kind"]) for r in overdue] == [
        (STAFF_GROUP, "assessment")
    ]
    assert await status_of(harness, case_no) is CaseStatus.AWAITING_ASSESSMENT  # no verdict

    await agent.send(f"/assessed {case_no} 截图经鉴定属实")
    assert "已记录" in agent.last_text()
    assert await status_of(harness, case_no) is CaseStatus.IN_REVIEW
    assert "notice.buyer.assessment_done" in await keys_to(harness, BUYER)
