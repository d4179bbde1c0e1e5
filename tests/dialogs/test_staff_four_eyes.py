"""Four eyes asked for in a private chat: the staff chat, where colleagues confirm, is told."""

from __future__ import annotations

from dataclasses import replace

from cases.model import CaseStatus
from dialogs.case_file import buyer_visible
from dialogs.context import DialogEnv
from tests.fakes.staff import ADMIN, AGENT, STAFF_GROUP, StaffChat, file_case, seed_staff
from tests.fakes.uow import FakeStore


async def test_a_request_made_in_private_reaches_the_staff_chat_with_its_buttons(
    store: FakeStore, env: DialogEnv
) -> None:
    seed_staff(store)
    policy = replace(env.policy, four_eyes_amount=1000)
    env = DialogEnv(env.clock, policy, env.calendar, STAFF_GROUP)
    case_no = await file_case(store, env)
    agent = StaffChat(store, env, AGENT, chat_id=None)
    answer = await agent.send(f"/approve {case_no}")
    assert answer.keys == ["four_eyes.proposed"]
    [row] = [row for row in store.outbox if row.chat_id == STAFF_GROUP]
    assert row.payload["key"] == "four_eyes.proposed"
    assert [b["data"] for b in row.payload["buttons"][0]] == [
        f"st:cfm:{case_no}",
        f"st:dsm:{case_no}",
    ]
    admin = StaffChat(store, env, ADMIN)
    await admin.click(f"st:cfm:{case_no}")
    assert store.cases[case_no].status is CaseStatus.REFUND_PENDING


async def test_the_buyers_case_file_leaves_out_the_staffs_second_approval_steps(
    store: FakeStore, env: DialogEnv
) -> None:
    seed_staff(store)
    policy = replace(env.policy, four_eyes_amount=1000)
    env = DialogEnv(env.clock, policy, env.calendar, STAFF_GROUP)
    case_no = await file_case(store, env)
    agent = StaffChat(store, env, AGENT)
    await agent.send(f"/approve {case_no}")
    await StaffChat(store, env, ADMIN).send(f"/dismiss {case_no}")
    assert [event.action for event in store.events[case_no]][-2:] == [
        "propose",
        "dismiss_proposal",
    ]
    shown = [event for event in store.events[case_no] if buyer_visible(event)]
    assert [event.action for event in shown] == ["submit"]
