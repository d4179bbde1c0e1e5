"""Every press is authorised per user and role, against the case as it is now.

Group membership grants nothing; a double click, a stale button or forged callback data changes
nothing and gets an answer that says why.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cases.lifecycle import Action
from cases.model import CaseStatus
from dialogs.context import DialogEnv
from dialogs.types import OtherIn
from tests.fakes.chat import Chat
from tests.fakes.staff import (
    AGENT,
    ARBITRATOR,
    BUYER_ID,
    OUTSIDER,
    StaffChat,
    file_case,
    move,
    seed_staff,
    to_arbitration,
)
from tests.fakes.uow import FakeStore


@pytest.fixture
async def case_no(store: FakeStore, env: DialogEnv) -> str:
    seed_staff(store)
    return await file_case(store, env)


def world(store: FakeStore) -> dict[str, Any]:
    """What a refused press must leave alone: cases, their history, jobs and queued messages."""
    return copy.deepcopy(
        {"cases": store.cases, "events": store.events, "jobs": store.jobs, "out": store.outbox}
    )


@pytest.mark.parametrize(
    "data",
    ["st:take:", "st:appf:", "st:appp:", "st:rej:", "st:req:", "st:note:", "st:ev:", "st:card:"],
)
async def test_a_group_member_who_is_not_staff_changes_nothing(
    store: FakeStore, env: DialogEnv, case_no: str, data: str
) -> None:
    outsider = StaffChat(store, env, OUTSIDER)
    before = world(store)
    answer = await outsider.click(data + case_no)
    assert answer.keys == ["staff.refused.not_staff"]
    assert world(store) == before
    assert outsider.notifier.outcomes == []


async def test_a_non_staff_member_cannot_read_a_case_by_command(
    store: FakeStore, env: DialogEnv, case_no: str
) -> None:
    answer = await StaffChat(store, env, OUTSIDER).send(f"/case {case_no}")
    assert answer.keys == ["staff.refused.not_staff"]
    assert case_no not in answer.text()


async def test_group_chatter_and_unknown_commands_of_non_staff_get_no_reply(
    store: FakeStore, env: DialogEnv, case_no: str
) -> None:
    outsider = StaffChat(store, env, OUTSIDER)
    assert await outsider.send("今天谁值班？") == []
    assert await outsider.send("/start") == []


async def test_staff_chatter_in_the_group_gets_no_reply(
    store: FakeStore, env: DialogEnv, case_no: str
) -> None:
    assert await StaffChat(store, env, AGENT).send("我来看一下这单") == []


async def test_an_agent_cannot_rule_in_arbitration(
    store: FakeStore, env: DialogEnv, case_no: str
) -> None:
    await to_arbitration(store, env, case_no)
    before = world(store)
    answer = await StaffChat(store, env, AGENT).click(f"st:rb:{case_no}")
    assert answer.keys == ["staff.refusal.not_allowed_for_role"]
    assert answer.params("staff.refusal.not_allowed_for_role")["roles"] == [
        "arbitrator",
        "admin",
    ]
    assert "仲裁员或管理员" in answer.text()
    assert world(store) == before


async def test_an_arbitrator_cannot_reject_a_case_in_review(
    store: FakeStore, env: DialogEnv, case_no: str
) -> None:
    answer = await StaffChat(store, env, ARBITRATOR).send(f"/reject {case_no} 不成立")
    assert answer.keys == ["staff.refusal.not_allowed_for_role"]
    assert store.cases[case_no].status is CaseStatus.SUBMITTED


async def test_a_double_click_approves_once(
    store: FakeStore, env: DialogEnv, case_no: str
) -> None:
    agent = StaffChat(store, env, AGENT)
    await agent.click(f"st:appf:{case_no}")
    before = world(store)
    again = await agent.click(f"st:appf:{case_no}")
    assert again.keys == ["staff.refusal.wrong_status"]
    assert "待退款" in again.text()
    assert "未做任何更改" in again.text()
    assert world(store) == before
    assert agent.notifier.actions == [Action.APPROVE_REFUND.value]


async def test_a_stale_button_after_a_colleague_moved_the_case_changes_nothing(
    store: FakeStore, env: DialogEnv, case_no: str
) -> None:
    await StaffChat(store, env, AGENT).send(f"/reject {case_no} 材料不实")
    before = world(store)
    late = await StaffChat(store, env, AGENT).click(f"st:mer:{case_no}")
    assert late.keys == ["staff.refusal.wrong_status"]
    assert late.params("staff.refusal.wrong_status")["status"] == "rejected"
    assert world(store) == before


async def test_a_button_that_asks_for_text_refuses_at_once_when_the_case_has_moved(
    store: FakeStore, env: DialogEnv, case_no: str
) -> None:
    agent = StaffChat(store, env, AGENT)
    await agent.click(f"st:appf:{case_no}")
    answer = await agent.click(f"st:rej:{case_no}")
    assert answer.keys == ["staff.refusal.wrong_status"]
    assert await agent.send("迟到的理由") == []  # nothing was asked, so nothing is owed


async def test_an_owed_answer_is_checked_again_when_it_arrives(
    store: FakeStore, env: DialogEnv, case_no: str
) -> None:
    agent = StaffChat(store, env, AGENT)
    await agent.click(f"st:rej:{case_no}")
    await move(store, env, case_no, Action.WITHDRAW, BUYER_ID)
    answer = await agent.send("证据不足")
    assert answer.keys == ["staff.refusal.wrong_status"]
    assert store.cases[case_no].status is CaseStatus.WITHDRAWN
    assert await agent.send("再发一次") == []  # the question was closed


async def test_staff_removed_meanwhile_cannot_finish_an_owed_answer(
    store: FakeStore, env: DialogEnv, case_no: str
) -> None:
    agent = StaffChat(store, env, AGENT)
    await agent.click(f"st:rej:{case_no}")
    del store.staff[AGENT]
    answer = await agent.send("证据不足")
    assert answer.keys == ["staff.refused.not_staff"]
    assert store.cases[case_no].status is CaseStatus.SUBMITTED


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ("st:appf:TS20261125-ZZZZZ", "staff.refused.not_found"),
        ("st:appf:garbage", "staff.refused.bad_case_no"),
        ("st:appf:", "staff.refused.bad_case_no"),
        ("st:appf:<b>x</b>", "staff.refused.bad_case_no"),
        ("st:nuke:TS20261125-ZZZZZ", "staff.refused.unknown_button"),
        ("st:", "staff.refused.unknown_button"),
        ("f:submit", "staff.refused.unknown_button"),
        ("", "staff.refused.unknown_button"),
    ],
)
async def test_forged_callback_data_changes_nothing(
    store: FakeStore, env: DialogEnv, case_no: str, data: str, key: str
) -> None:
    before = world(store)
    answer = await StaffChat(store, env, AGENT).click(data)
    assert answer.keys == [key]
    assert world(store) == before


async def test_a_buyer_pressing_a_forged_staff_button_in_private_is_refused(
    store: FakeStore, env: DialogEnv, case_no: str, chat: Chat
) -> None:
    before = world(store)
    answer = await chat.click(f"st:appf:{case_no}")  # the buyer who filed the case
    assert answer.keys == ["staff.refused.not_staff"]
    assert world(store) == before


async def test_a_buyer_sending_a_staff_command_in_private_is_refused(
    store: FakeStore, case_no: str, chat: Chat
) -> None:
    answer = await chat.send(f"/approve {case_no}")
    assert answer.keys == ["staff.refused.not_staff"]
    assert store.cases[case_no].status is CaseStatus.SUBMITTED


async def test_a_too_long_reason_is_refused_and_asked_again(
    store: FakeStore, env: DialogEnv, case_no: str
) -> None:
    agent = StaffChat(store, env, AGENT)
    await agent.click(f"st:rej:{case_no}")
    answer = await agent.send("长" * 1001)
    assert answer.keys == ["staff.text_too_long"]
    assert (await agent.send("证据不足")).keys == ["staff.done.reject"]


async def test_a_sticker_instead_of_the_reason_is_asked_again(
    store: FakeStore, env: DialogEnv, case_no: str
) -> None:
    agent = StaffChat(store, env, AGENT)
    await agent.click(f"st:rej:{case_no}")
    answer = await agent.deliver(OtherIn("sticker"))
    assert answer.keys == ["staff.ask.send_text"]
    assert (await agent.send("证据不足")).keys == ["staff.done.reject"]


async def test_taking_a_case_a_colleague_already_took_says_who_has_it(
    store: FakeStore, env: DialogEnv, case_no: str
) -> None:
    await StaffChat(store, env, AGENT).click(f"st:take:{case_no}")
    store.staff[AGENT + 1] = "agent"
    late = await StaffChat(store, env, AGENT + 1).click(f"st:take:{case_no}")
    assert late.keys == ["staff.refusal.wrong_status"]
    assert f"已由 {AGENT} 处理" in late.text().replace("<code>", "").replace("</code>", "")
    mine = await StaffChat(store, env, AGENT).click(f"st:take:{case_no}")
    assert "您本人" in mine.text()
