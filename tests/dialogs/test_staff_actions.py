"""Staff moves from the staff group: each by the right role works, is recorded and announced."""

from __future__ import annotations

import pytest

from cases.lifecycle import Action
from cases.model import ActorKind, CaseStatus
from dialogs.context import DialogEnv
from tests.fakes.staff import (
    ADMIN,
    AGENT,
    ARBITRATOR,
    StaffChat,
    file_case,
    seed_staff,
    to_arbitration,
)
from tests.fakes.uow import FakeStore


@pytest.fixture
async def case_no(store: FakeStore, env: DialogEnv) -> str:
    seed_staff(store)
    return await file_case(store, env)


@pytest.fixture
def agent(store: FakeStore, env: DialogEnv) -> StaffChat:
    return StaffChat(store, env, AGENT)


@pytest.fixture
def arbitrator(store: FakeStore, env: DialogEnv) -> StaffChat:
    return StaffChat(store, env, ARBITRATOR)


def last_event(store: FakeStore, case_no: str) -> tuple[str, ActorKind, int | None, str]:
    event = store.events[case_no][-1]
    return event.action, event.actor_kind, event.actor_id, event.note


async def test_an_agent_takes_a_case_with_the_button(
    agent: StaffChat, store: FakeStore, case_no: str
) -> None:
    answer = await agent.click(f"st:take:{case_no}")
    assert answer.keys == ["staff.done.take"]
    case = store.cases[case_no]
    assert (case.status, case.assignee_id) == (CaseStatus.IN_REVIEW, AGENT)
    assert last_event(store, case_no)[:3] == ("take", ActorKind.AGENT, AGENT)
    assert agent.notifier.actions == ["take"]


async def test_a_done_move_offers_the_card_for_the_next_step(
    agent: StaffChat, case_no: str
) -> None:
    answer = await agent.send(f"/take {case_no}")
    assert answer.buttons == [f"st:card:{case_no}"]


async def test_requesting_evidence_asks_what_and_sends_the_buyer_the_note(
    agent: StaffChat, store: FakeStore, case_no: str
) -> None:
    asked = await agent.click(f"st:req:{case_no}")
    assert asked.keys == ["staff.ask.request"]
    assert store.cases[case_no].status is CaseStatus.SUBMITTED  # nothing happens before the text
    done = await agent.send("请补充付款截图和与商家的聊天记录")
    assert done.keys == ["staff.done.request"]
    assert store.cases[case_no].status is CaseStatus.AWAITING_EVIDENCE
    assert last_event(store, case_no)[3] == "请补充付款截图和与商家的聊天记录"


async def test_sending_to_the_merchant_by_command(
    agent: StaffChat, store: FakeStore, case_no: str
) -> None:
    answer = await agent.send(f"/tomerchant {case_no}")
    assert answer.keys == ["staff.done.merchant"]
    assert store.cases[case_no].status is CaseStatus.AWAITING_MERCHANT


async def test_a_full_approval_refunds_what_the_buyer_asked_for(
    agent: StaffChat, store: FakeStore, case_no: str
) -> None:
    answer = await agent.click(f"st:appf:{case_no}")
    assert answer.keys == ["staff.done.approve_full"]
    case = store.cases[case_no]
    assert (case.status, case.approved_amount) == (CaseStatus.REFUND_PENDING, 3000)
    assert answer.params("staff.done.approve_full")["amount"] == 3000


async def test_a_partial_approval_takes_the_amount_exactly(
    agent: StaffChat, store: FakeStore, case_no: str
) -> None:
    asked = await agent.click(f"st:appp:{case_no}")
    assert asked.params("staff.ask.approve_partial")["cap"] == 3000
    done = await agent.send("12.35")
    assert done.keys == ["staff.done.approve_partial"]
    assert store.cases[case_no].approved_amount == 1235


async def test_approve_with_an_amount_by_command(
    agent: StaffChat, store: FakeStore, case_no: str
) -> None:
    await agent.send(f"/approve {case_no} ¥20")
    assert store.cases[case_no].approved_amount == 2000


@pytest.mark.parametrize("typed", ["abc", "0", "-5", "1.234", "NaN"])
async def test_an_amount_that_is_not_one_is_asked_again(
    agent: StaffChat, store: FakeStore, case_no: str, typed: str
) -> None:
    await agent.click(f"st:appp:{case_no}")
    answer = await agent.send(typed)
    assert answer.keys == ["staff.bad_amount"]
    assert store.cases[case_no].status is CaseStatus.SUBMITTED
    done = await agent.send("10")
    assert done.keys == ["staff.done.approve_partial"]


async def test_an_amount_over_the_cap_shows_the_cap_and_keeps_the_question(
    agent: StaffChat, store: FakeStore, case_no: str
) -> None:
    await agent.click(f"st:appp:{case_no}")
    answer = await agent.send("30.01")
    assert answer.keys == ["staff.refusal.amount_over_cap", "staff.ask.retry_amount"]
    assert answer.params("staff.refusal.amount_over_cap")["cap"] == 3000
    assert "30.00 元" in answer.text()
    assert store.cases[case_no].status is CaseStatus.SUBMITTED
    assert (await agent.send("30")).keys == ["staff.done.approve_partial"]


async def test_rejecting_asks_for_the_reason_the_buyer_will_see(
    agent: StaffChat, store: FakeStore, case_no: str
) -> None:
    await agent.click(f"st:rej:{case_no}")
    await agent.send("卡密已核实为有效，且已被买家账号使用")
    assert store.cases[case_no].status is CaseStatus.REJECTED
    assert last_event(store, case_no)[3] == "卡密已核实为有效，且已被买家账号使用"


async def test_reject_by_command_with_the_reason_inline(
    agent: StaffChat, store: FakeStore, case_no: str
) -> None:
    answer = await agent.send(f"/reject {case_no} 超过投诉期限")
    assert answer.keys == ["staff.done.reject"]
    assert last_event(store, case_no)[3] == "超过投诉期限"


async def test_an_arbitrator_rules_for_the_buyer_with_an_amount(
    arbitrator: StaffChat, store: FakeStore, env: DialogEnv, case_no: str
) -> None:
    await to_arbitration(store, env, case_no)
    asked = await arbitrator.click(f"st:rb:{case_no}")
    assert asked.keys == ["staff.ask.rule_buyer"]
    await arbitrator.send("25")
    case = store.cases[case_no]
    assert (case.status, case.approved_amount) == (CaseStatus.REFUND_PENDING, 2500)
    assert last_event(store, case_no)[:3] == ("rule_for_buyer", ActorKind.ARBITRATOR, ARBITRATOR)


async def test_an_arbitrator_rules_for_the_merchant_by_command(
    arbitrator: StaffChat, store: FakeStore, env: DialogEnv, case_no: str
) -> None:
    await to_arbitration(store, env, case_no)
    answer = await arbitrator.send(f"/rule {case_no} merchant 商家提供了发货记录，卡密已使用")
    assert answer.keys == ["staff.done.rule_merchant"]
    assert store.cases[case_no].status is CaseStatus.CLOSED


async def test_confirming_the_payout_finishes_the_case(
    agent: StaffChat, store: FakeStore, case_no: str
) -> None:
    await agent.click(f"st:appf:{case_no}")
    answer = await agent.click(f"st:paid:{case_no}")
    assert answer.keys == ["staff.done.paid"]
    assert store.cases[case_no].status is CaseStatus.REFUNDED


async def test_an_internal_note_is_recorded_without_moving_the_case(
    agent: StaffChat, store: FakeStore, case_no: str
) -> None:
    await agent.click(f"st:note:{case_no}")
    await agent.send("买家此前有 3 次同类投诉，注意核实")
    assert store.cases[case_no].status is CaseStatus.SUBMITTED
    assert last_event(store, case_no) == (
        "note", ActorKind.AGENT, AGENT, "买家此前有 3 次同类投诉，注意核实"
    )


async def test_an_admin_assigns_a_case_to_an_agent(
    store: FakeStore, env: DialogEnv, case_no: str
) -> None:
    admin = StaffChat(store, env, ADMIN)
    answer = await admin.send(f"/assign {case_no} {AGENT}")
    assert answer.keys == ["staff.done.assign"]
    assert store.cases[case_no].assignee_id == AGENT


async def test_assigning_to_someone_who_is_not_staff_changes_nothing(
    agent: StaffChat, store: FakeStore, case_no: str
) -> None:
    answer = await agent.send(f"/assign {case_no} 424242")
    assert answer.keys == ["staff.refusal.assignee_not_staff"]
    assert store.cases[case_no].assignee_id is None


@pytest.mark.parametrize(
    ("command", "usage"),
    [
        ("/case", "staff.usage.case"),
        ("/take", "staff.usage.take"),
        ("/reject", "staff.usage.reject"),
        ("/rule TS20261125-AAAAA maybe", "staff.usage.rule"),
        ("/assign TS20261125-AAAAA", "staff.usage.assign"),
    ],
)
async def test_a_command_without_what_it_needs_shows_its_usage(
    agent: StaffChat, case_no: str, command: str, usage: str
) -> None:
    assert (await agent.send(command)).keys == [usage]


async def test_a_command_without_a_text_asks_for_it(
    agent: StaffChat, store: FakeStore, case_no: str
) -> None:
    asked = await agent.send(f"/note {case_no}")
    assert asked.keys == ["staff.ask.note"]
    await agent.send("已电话联系买家")
    assert last_event(store, case_no)[0] == Action.NOTE.value
