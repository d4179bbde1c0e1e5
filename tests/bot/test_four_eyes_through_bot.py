"""Four eyes in the staff group, through the real dispatcher: a second staff member approves."""

from __future__ import annotations

from pathlib import Path

import pytest

from cases.model import CaseStatus
from sandbox.botapi import FakeBotAPI
from tests.bot.harness import BotHarness, bot_harness
from tests.bot.test_staff_chat import (
    AGENT,
    NOW,
    STAFF_GROUP,
    answers,
    in_group,
    order,
    status_of,
)
from tests.bot.test_staff_chat import case_no as case_no  # the filed case (fixture)

SECOND_AGENT = 3003


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI):  # type: ignore[no-untyped-def]
    policy = tmp_path / "policy.toml"
    policy.write_text('four_eyes_amount = "50.00"\n', encoding="utf-8")  # the case asks 100.00
    async with bot_harness(
        tmp_path, fake_api, NOW, staff_chat_id=STAFF_GROUP, policy_file=policy
    ) as running:
        await running.add_orders(order())
        async with running.deps.uow() as uow:
            await uow.staff.set_role(AGENT, "agent", NOW)
            await uow.staff.set_role(SECOND_AGENT, "agent", NOW)
            await uow.commit()
        yield running


async def test_a_high_refund_waits_for_a_second_staff_member(
    harness: BotHarness, case_no: str
) -> None:
    agent, second = in_group(harness, AGENT), in_group(harness, SECOND_AGENT)
    await agent.send(f"/case {case_no}")
    await agent.click("按申请金额退款")
    assert "已提交复核" in agent.last_text()
    assert "申请「按申请金额退款」100.00 元" in agent.last_text()
    assert "超过 50.00 元的决定须两人复核" in agent.last_text()
    assert await status_of(harness, case_no) is CaseStatus.SUBMITTED
    await second.send(f"/case {case_no}")
    card = second.texts()[-2]
    assert f"待第二人复核：{AGENT} 于" in card
    await second.click("复核通过")
    assert "已批准" in second.last_text()
    assert await status_of(harness, case_no) is CaseStatus.REFUND_PENDING
    async with harness.deps.uow() as uow:
        events = await uow.events.list(case_no)
    assert [event.action for event in events] == ["submit", "propose", "approve_refund"]
    assert (events[-1].actor_id, events[-1].extra["proposed_by"]) == (SECOND_AGENT, str(AGENT))


async def test_the_same_staff_member_pressing_again_is_refused(
    harness: BotHarness, case_no: str
) -> None:
    agent = in_group(harness, AGENT)
    await agent.send(f"/case {case_no}")
    await agent.click("按申请金额退款")
    await agent.click("复核通过")
    alert = answers(harness)[-1]
    assert alert["show_alert"] is True
    assert "是您本人申请的，须由另一位工作人员复核" in alert["text"]
    await agent.send(f"/approve {case_no}")
    assert "是您本人申请的" in agent.last_text()
    assert await status_of(harness, case_no) is CaseStatus.SUBMITTED
    async with harness.deps.uow() as uow:
        events = await uow.events.list(case_no)
    assert [event.action for event in events] == ["submit", "propose"]


async def test_a_request_on_a_case_that_moved_on_cannot_be_approved(
    harness: BotHarness, case_no: str
) -> None:
    agent, second = in_group(harness, AGENT), in_group(harness, SECOND_AGENT)
    await agent.send(f"/approve {case_no}")
    await agent.send(f"/tomerchant {case_no}")
    await second.send(f"/confirm {case_no}")
    assert "没有待复核的申请" in second.last_text()
    assert await status_of(harness, case_no) is CaseStatus.AWAITING_MERCHANT
