"""A group that is not the staff group: an admin learns its id; everything else is left alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.app import bootstrap_admins
from sandbox.botapi import FakeBotAPI
from tests.bot.harness import BotHarness, Person, bot_harness

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
STAFF_GROUP, OTHER_GROUP = -1009876543210, -1001112223334
ADMIN, AGENT, STRANGER = 4001, 4002, 4999


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    async with bot_harness(
        tmp_path, fake_api, NOW, staff_chat_id=STAFF_GROUP, default_locale="en"
    ) as running:
        async with running.deps.uow() as uow:
            await uow.staff.set_role(ADMIN, "admin", NOW)
            await uow.staff.set_role(AGENT, "agent", NOW)
            await uow.commit()
        yield running


def in_group(harness: BotHarness, user_id: int, chat_id: int = OTHER_GROUP) -> Person:
    fake = harness.api.user(id=user_id, first_name=f"u{user_id}")
    return Person(harness, fake.in_chat(chat_id, "supergroup", title="a group"))


def added_to_group(
    harness: BotHarness,
    by: int,
    old: str = "left",
    new: str = "member",
    chat_id: int = OTHER_GROUP,
) -> dict[str, Any]:
    """The my_chat_member update Telegram sends when someone adds the bot to a group."""
    bot = {"id": 42, "is_bot": True, "first_name": "bot", "username": "complaint_bot"}
    return {
        "update_id": harness.api.state.next_update_id(),
        "my_chat_member": {
            "chat": {"id": chat_id, "type": "supergroup", "title": "a group"},
            "from": {"id": by, "is_bot": False, "first_name": f"u{by}"},
            "date": int(NOW.timestamp()),
            "old_chat_member": {"status": old, "user": bot},
            "new_chat_member": {"status": new, "user": bot},
        },
    }


def group_texts(harness: BotHarness, chat_id: int = OTHER_GROUP) -> list[str]:
    return [m.plain_text for m in harness.api.sent_messages(chat_id)]


async def test_an_admin_asking_chatid_learns_the_id_and_what_to_set(harness: BotHarness) -> None:
    await in_group(harness, ADMIN).send("/chatid")
    [answer] = group_texts(harness)
    assert f"This group's chat id is {OTHER_GROUP}." in answer
    assert f"STAFF_CHAT_ID={OTHER_GROUP}" in answer
    assert f"The staff group is {STAFF_GROUP} now." in answer


async def test_adding_the_bot_tells_the_admin_who_added_it(harness: BotHarness) -> None:
    await harness.feed(added_to_group(harness, by=ADMIN))
    [answer] = group_texts(harness)
    assert f"STAFF_CHAT_ID={OTHER_GROUP}" in answer


@pytest.mark.parametrize("user", [AGENT, STRANGER])
async def test_nobody_but_an_admin_is_answered(harness: BotHarness, user: int) -> None:
    await in_group(harness, user).send("/chatid")
    await harness.feed(added_to_group(harness, by=user))
    assert group_texts(harness) == []


async def test_group_chatter_and_other_commands_get_no_answer(harness: BotHarness) -> None:
    admin = in_group(harness, ADMIN)
    await admin.send("hello everyone")
    await admin.send("/start")
    await admin.send("/status TS20261126-7K3Q9")
    await harness.feed(added_to_group(harness, by=ADMIN, old="member", new="left"))  # removed
    assert group_texts(harness) == []


async def test_the_staff_group_is_still_the_staff_groups_business(harness: BotHarness) -> None:
    await in_group(harness, AGENT, STAFF_GROUP).send("/queue")
    [answer] = group_texts(harness, STAFF_GROUP)
    assert "chat id" not in answer


async def test_before_any_staff_group_is_set_the_admin_is_told_how_to_set_one(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    async with bot_harness(tmp_path, fake_api, NOW, admin_ids=str(ADMIN)) as harness:
        await bootstrap_admins(harness.deps)
        await harness.feed(added_to_group(harness, by=ADMIN))
        [answer] = group_texts(harness)
    assert f"STAFF_CHAT_ID={OTHER_GROUP}" in answer
    assert "The staff group is" not in answer
