"""Admins add and remove staff from the chat; no one else can, and the last admin stays."""

from __future__ import annotations

import pytest

from dialogs.context import DialogEnv
from tests.fakes.staff import ADMIN, AGENT, OUTSIDER, StaffChat, file_case, seed_staff
from tests.fakes.uow import FakeStore


@pytest.fixture
def admin(store: FakeStore, env: DialogEnv) -> StaffChat:
    seed_staff(store)
    return StaffChat(store, env, ADMIN)


async def test_an_admin_lists_the_staff(admin: StaffChat) -> None:
    answer = await admin.send("/staff")
    members = answer.params("staff.admin.list")["members"]
    assert [(m["id"], m["role"]) for m in members] == [
        (2001, "agent"),
        (2002, "arbitrator"),
        (2003, "admin"),
    ]
    assert "客服" in answer.text()
    assert "仲裁员" in answer.text()


async def test_an_admin_adds_an_agent_who_can_then_work_cases(
    admin: StaffChat, store: FakeStore, env: DialogEnv
) -> None:
    answer = await admin.send(f"/staff add {OUTSIDER} agent")
    assert answer.keys == ["staff.admin.added"]
    assert store.staff[OUTSIDER] == "agent"
    case_no = await file_case(store, env)
    assert (await StaffChat(store, env, OUTSIDER).click(f"st:take:{case_no}")).keys == [
        "staff.done.take"
    ]


async def test_roles_may_be_typed_in_chinese(admin: StaffChat, store: FakeStore) -> None:
    await admin.send(f"/staff add {OUTSIDER} 仲裁员")
    assert store.staff[OUTSIDER] == "arbitrator"


async def test_an_admin_removes_staff_who_then_can_do_nothing(
    admin: StaffChat, store: FakeStore, env: DialogEnv
) -> None:
    answer = await admin.send(f"/staff remove {AGENT}")
    assert answer.keys == ["staff.admin.removed"]
    assert AGENT not in store.staff
    case_no = await file_case(store, env)
    assert (await StaffChat(store, env, AGENT).click(f"st:take:{case_no}")).keys == [
        "staff.refused.not_staff"
    ]


async def test_the_last_admin_cannot_remove_or_demote_themselves(
    admin: StaffChat, store: FakeStore
) -> None:
    assert (await admin.send(f"/staff remove {ADMIN}")).keys == ["staff.admin.last_admin"]
    assert (await admin.send(f"/staff add {ADMIN} agent")).keys == ["staff.admin.last_admin"]
    assert store.staff[ADMIN] == "admin"


async def test_an_admin_may_step_down_when_another_admin_remains(
    admin: StaffChat, store: FakeStore
) -> None:
    await admin.send(f"/staff add {AGENT} admin")
    assert (await admin.send(f"/staff remove {ADMIN}")).keys == ["staff.admin.removed"]
    assert ADMIN not in store.staff


@pytest.mark.parametrize("user_id", [AGENT, OUTSIDER])
async def test_only_admins_change_staff(
    store: FakeStore, env: DialogEnv, user_id: int
) -> None:
    seed_staff(store)
    before = dict(store.staff)
    answer = await StaffChat(store, env, user_id).send(f"/staff add {user_id} admin")
    assert answer.keys[0] in ("staff.refused.not_admin", "staff.refused.not_staff")
    assert store.staff == before


@pytest.mark.parametrize(
    ("command", "key"),
    [
        ("/staff add abc agent", "staff.admin.bad_id"),
        ("/staff add -100123 agent", "staff.admin.bad_id"),
        ("/staff add 123 boss", "staff.admin.bad_role"),
        ("/staff remove 424242", "staff.admin.not_member"),
        ("/staff add 2001 agent", "staff.admin.unchanged"),
        ("/staff fire 2001", "staff.admin.usage"),
    ],
)
async def test_admin_commands_explain_what_is_wrong(
    admin: StaffChat, store: FakeStore, command: str, key: str
) -> None:
    before = dict(store.staff)
    assert (await admin.send(command)).keys == [key]
    assert store.staff == before
