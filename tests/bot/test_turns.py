"""One turn for every chat, through the real bot: the staff group answers a staff member in the
language they chose, and a chat the bot can write to again gets its messages again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dialogs.types import Reply
from sandbox.botapi import FakeBotAPI
from tests.bot.harness import BotHarness, Person, bot_harness
from tests.bot.outbox_support import blocked_chats
from tests.bot.test_merchant_through_dispatcher import deliver_notices
from tests.bot.test_other_groups import added_to_group

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
STAFF_GROUP = -1009876543210
AGENT, COLLEAGUE, ADMIN = 3001, 3002, 4001
KICKED = "Forbidden: bot was kicked from the supergroup chat"


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    async with bot_harness(tmp_path, fake_api, NOW, staff_chat_id=STAFF_GROUP) as running:
        async with running.deps.uow() as uow:
            await uow.staff.set_role(AGENT, "agent", NOW)
            await uow.staff.set_role(COLLEAGUE, "agent", NOW)
            await uow.staff.set_role(ADMIN, "admin", NOW)
            await uow.commit()
        yield running


def in_group(harness: BotHarness, user_id: int, language_code: str = "zh-hans") -> Person:
    fake = harness.api.user(id=user_id, first_name=f"u{user_id}", language_code=language_code)
    return Person(harness, fake.in_chat(STAFF_GROUP, "supergroup", title="客服群"))


def group_texts(harness: BotHarness) -> list[str]:
    return [m.plain_text for m in harness.api.sent_messages(STAFF_GROUP)]


async def kicked_from_the_staff_group(harness: BotHarness) -> None:
    """A notice to the group met Telegram's 403 while the bot was out of it."""
    async with harness.deps.uow() as uow:
        await uow.outbox.block_chat(STAFF_GROUP, NOW, KICKED)
        await uow.commit()
    assert STAFF_GROUP in await blocked_chats(harness.deps.engine)


async def a_notice_reaches_the_group(harness: BotHarness) -> bool:
    async with harness.deps.uow() as uow:
        notice = Reply("staff.queue_empty").to_payload("zh_CN")
        await uow.outbox.add(STAFF_GROUP, notice, NOW, "test-notice")
        await uow.commit()
    await deliver_notices(harness)
    return group_texts(harness)[-1:] == ["目前没有待处理的投诉。"]


async def test_a_staff_member_who_chose_english_is_answered_in_english_in_the_staff_group(
    harness: BotHarness,
) -> None:
    private = harness.user(AGENT, language_code="zh-hans")
    await private.send("/language")
    await private.click("English")
    agent = in_group(harness, AGENT)
    await agent.send("/queue")
    assert group_texts(harness)[-1] == "No open cases right now."
    # The alert of a refused press is theirs alone: in their language too.
    await agent.feed(agent.fake.build_forged_click("st:nonsense"))
    alert = harness.api.calls("answerCallbackQuery")[-1].params
    assert alert["show_alert"] is True
    assert alert["text"].startswith("This button is no longer valid")


async def test_a_staff_member_who_chose_no_language_gets_the_groups_own(
    harness: BotHarness,
) -> None:
    # An English Telegram app alone does not move the shared group away from its language.
    await in_group(harness, COLLEAGUE, language_code="en").send("/queue")
    assert group_texts(harness)[-1] == "目前没有待处理的投诉。"


async def test_the_staff_group_hears_again_once_an_admin_adds_the_bot_back(
    harness: BotHarness,
) -> None:
    await kicked_from_the_staff_group(harness)
    await harness.feed(added_to_group(harness, by=ADMIN, chat_id=STAFF_GROUP))
    assert STAFF_GROUP not in await blocked_chats(harness.deps.engine)
    assert str(STAFF_GROUP) in group_texts(harness)[-1]  # the admin is told the group's id
    assert await a_notice_reaches_the_group(harness)


async def test_the_staff_group_hears_again_once_staff_write_in_it(harness: BotHarness) -> None:
    await kicked_from_the_staff_group(harness)
    await in_group(harness, AGENT).send("/queue")
    assert STAFF_GROUP not in await blocked_chats(harness.deps.engine)
    assert await a_notice_reaches_the_group(harness)
