"""Owed answers belong to one staff member in one chat; private chats reach the same actions."""

from __future__ import annotations

import pytest

from cases.model import CaseStatus
from dialogs.context import DialogEnv
from dialogs.session import parse_session
from tests.fakes.staff import AGENT, ARBITRATOR, StaffChat, file_case, seed_staff
from tests.fakes.uow import FakeStore


@pytest.fixture
async def case_no(store: FakeStore, env: DialogEnv) -> str:
    seed_staff(store)
    return await file_case(store, env)


async def test_a_colleagues_message_is_not_taken_as_the_answer(
    store: FakeStore, env: DialogEnv, case_no: str
) -> None:
    agent, colleague = StaffChat(store, env, AGENT), StaffChat(store, env, ARBITRATOR)
    await agent.click(f"st:rej:{case_no}")
    assert await colleague.send("这单我看过了，确实是商家问题") == []
    assert store.cases[case_no].status is CaseStatus.SUBMITTED
    await agent.send("证据不足")
    assert store.cases[case_no].status is CaseStatus.REJECTED
    assert store.events[case_no][-1].note == "证据不足"


async def test_an_answer_owed_in_the_group_is_not_taken_from_the_private_chat(
    store: FakeStore, env: DialogEnv, case_no: str
) -> None:
    agent = StaffChat(store, env, AGENT)
    await agent.click(f"st:rej:{case_no}")
    private = await agent.elsewhere(None).send("证据不足")
    assert "menu.unknown_text" in private.keys  # the buyer dialog answers it, not the staff one
    assert store.cases[case_no].status is CaseStatus.SUBMITTED
    await agent.send("证据不足")
    assert store.cases[case_no].status is CaseStatus.REJECTED


async def test_an_owed_answer_survives_a_restart(
    store: FakeStore, env: DialogEnv, case_no: str
) -> None:
    await StaffChat(store, env, AGENT).click(f"st:note:{case_no}")
    pending = parse_session(store.drafts[AGENT])
    assert pending is not None
    assert pending.pending is not None
    assert (pending.pending.kind, pending.pending.action) == ("staff", "note")
    restarted = StaffChat(store, env, AGENT)
    assert (await restarted.send("重启后继续")).keys == ["staff.done.note"]


async def test_cancel_in_the_group_drops_the_question(
    store: FakeStore, env: DialogEnv, case_no: str
) -> None:
    agent = StaffChat(store, env, AGENT)
    await agent.click(f"st:rej:{case_no}")
    cancelled = await agent.send("/cancel")
    assert cancelled.params("side.input_dropped")["case_no"] == case_no
    assert await agent.send("证据不足") == []
    assert store.cases[case_no].status is CaseStatus.SUBMITTED
    assert (await agent.send("/cancel")).keys == ["staff.nothing_to_cancel"]


async def test_another_command_while_asked_runs_and_the_question_stays_open(
    store: FakeStore, env: DialogEnv, case_no: str
) -> None:
    agent = StaffChat(store, env, AGENT)
    await agent.click(f"st:rej:{case_no}")
    assert (await agent.send("/queue")).keys == ["staff.queue"]
    await agent.send("证据不足")
    assert store.cases[case_no].status is CaseStatus.REJECTED


async def test_a_staff_draft_in_private_survives_work_in_the_group(
    store: FakeStore, env: DialogEnv, case_no: str
) -> None:
    private = StaffChat(store, env, AGENT, chat_id=None)
    await private.send("/complain")  # the agent is also a buyer, filing in private
    await StaffChat(store, env, AGENT).send(f"/note {case_no} 备注")
    session = parse_session(store.drafts[AGENT])
    assert session is not None
    assert session.draft is not None


async def test_staff_work_in_their_private_chat_with_the_bot(
    store: FakeStore, env: DialogEnv, case_no: str
) -> None:
    private = StaffChat(store, env, AGENT, chat_id=None)
    card = await private.send(f"/case {case_no}")
    assert card.keys == ["staff.card", "staff.timeline"]
    asked = await private.click(f"st:appp:{case_no}")
    assert asked.keys == ["staff.ask.approve_partial"]
    done = await private.send("18")
    assert done.keys == ["staff.done.approve_partial"]
    assert store.cases[case_no].approved_amount == 1800
    assert private.notifier.actions == ["approve_refund"]


async def test_private_cancel_drops_a_staff_question(
    store: FakeStore, env: DialogEnv, case_no: str
) -> None:
    private = StaffChat(store, env, AGENT, chat_id=None)
    await private.click(f"st:rej:{case_no}")
    assert (await private.send("/cancel")).keys == ["side.input_dropped"]
    await private.send("证据不足")
    assert store.cases[case_no].status is CaseStatus.SUBMITTED


async def test_an_unknown_command_from_staff_in_the_group_points_to_staffhelp(
    store: FakeStore, env: DialogEnv, case_no: str
) -> None:
    answer = await StaffChat(store, env, AGENT).send("/approvee")
    assert answer.keys == ["staff.unknown_command"]
