"""Anything a person can send, in any dialog state, through the real bot: it never breaks.

Hypothesis puts a fresh person into a dialog state (each filing step, a menu, a status question,
an evidence upload, a merchant's or an agent's open question, the staff group, another group)
and sends what Telegram users can send: any text, markup-looking text, 10,000 characters,
stickers, contacts, locations, polls, edits, commands mid-flow, pressed, forged and stale
buttons, files of odd types and names. After every update:

- no unhandled exception (the errors router logs every one at ERROR; any ERROR fails the test),
- Telegram accepted everything the bot sent, and no user markup became formatting,
- a private chat always gets an answer and every button press is answered (no spinner hangs);
  the groups stay quiet except for what is addressed to the bot.

Notices queued meanwhile (to staff, merchants, buyers) are rendered and checked the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.events import addressed_to_another_bot, message_event
from bot.render import render_reply
from cases.audit import verify_chain
from dialogs.staff import STAFF_COMMANDS
from dialogs.types import CommandIn, Reply
from sandbox.botapi import FakeBotAPI
from storage.models import OutboxRow
from tests.bot.harness import bot_harness
from tests.bot.hostile_kit import (
    FOREIGN,
    INJECTIONS,
    LONG_TEXT,
    OWN,
    Act,
    ErrorRecords,
    acts,
    answered,
    build,
    check_calls,
    logged_errors,
    markup_problems,
    sends_to,
)
from tests.bot.hostile_scenes import (
    NOW,
    OTHER_GROUP,
    SCENES,
    STAFF_GROUP,
    Scene,
    World,
    file_until,
    order,
)
from tests.dbs import backend

# One of every kind, for every state; Hypothesis adds random scripts on top.
EVERY_KIND = [
    Act("text", INJECTIONS[1]),
    Act("command", f"status {OWN}"),
    Act("text", LONG_TEXT),
    Act("other", "sticker"),
    Act("other", "poll"),
    Act("other", "contact"),
    Act("other", "location"),
    Act("edit", INJECTIONS[0]),
    Act("press", index=0),
    Act("forge", f"st:appf:{FOREIGN}"),
    Act("stale", f"b:wdy:{OWN}"),
    Act("upload", "exe", index=1, name="../../x.jpg", mime="image/jpeg"),
    Act("command", f"help {INJECTIONS[0]}"),
    Act("text", f"付款后没收到\x00{INJECTIONS[0]}，商家也不回复\x00"),
    Act("upload", "pdf", index=1, name="shot\x00.pdf", mime="application/pdf\x00"),
    Act("text", INJECTIONS[5], stranger=True),
    Act("forge", f"mc:acc:{OWN}", stranger=True),
]


@pytest.fixture
async def world(tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[World]:
    async with bot_harness(tmp_path, fake_api, NOW, staff_chat_id=STAFF_GROUP) as harness:
        await harness.add_orders(order("KM202611299999"))
        foreign = await file_until(harness.user(user_id=9_001), "KM202611299999", "submitted")
        assert foreign is not None
        yield World(harness, foreign)


def expects_answer(
    scene: Scene, update: dict[str, Any], acted_by_person: bool, pending: bool
) -> bool:
    """Whether people expect the bot to write into the chat after this update."""
    if not scene.in_group:
        return True
    if scene.person.fake.chat_id == OTHER_GROUP or "message" not in update:
        return False  # other groups, and edits in the staff group, are not for the bot
    message = update["message"]
    event = message_event(message)
    if not isinstance(event, CommandIn):
        return pending  # chatter, unless it is the answer the bot asked this person for
    if addressed_to_another_bot(message.get("text"), "complaint_test_bot"):
        return False
    # Staff hear back on every command; others only on staff commands (a refusal).
    return acted_by_person or event.name in STAFF_COMMANDS


async def play(world: World, scene: Scene, act: Act, errors: ErrorRecords) -> None:
    """Sends one update and checks what the bot did about it."""
    who = scene.stranger if act.stranger else scene.person
    api = world.harness.api
    pending = await world.pending_in(who)
    await world.deliver()  # what is still queued is not this update's doing
    mark = api.mark()
    update = build(who.fake, act, scene.own_case, world.foreign_case)
    await who.feed(update)
    calls = api.calls()[mark:]
    assert errors.take() == [], act
    check_calls(calls)
    chat = who.fake.chat_id
    if "callback_query" in update:
        assert answered(calls, update["callback_query"]["id"]), (act, "press not answered")
    elif expects_answer(scene, update, not act.stranger, pending):
        assert sends_to(calls, chat) >= 1, (act, "no answer")
    else:
        assert sends_to(calls, chat) == 0, (act, "the bot spoke in a group uninvited")


async def check_queued_notices(world: World, after_id: int) -> int:
    """Renders each notice queued since `after_id` as the sender would, and checks its HTML."""
    deps = world.harness.deps
    async with AsyncSession(deps.engine) as session:
        rows = (await session.execute(select(OutboxRow).where(OutboxRow.id > after_id))).scalars()
        last = after_id
        for row in rows:
            reply = Reply.from_payload(row.payload)
            html = render_reply(deps.translator, row.payload["locale"], reply).text
            assert markup_problems(html) == [], (row.chat_id, reply.key)
            last = max(last, row.id)
    return last


async def check_history(world: World, case_no: str | None) -> None:
    if case_no is None:
        return
    async with world.harness.deps.uow() as uow:
        events = await uow.events.list(case_no)
    assert verify_chain(events) is None


SETTINGS = settings(
    # The random scripts try the dialogs' logic, which is the same on either backend: the
    # PostgreSQL run keeps every state's script of every kind (below) and a few random ones.
    max_examples=25 if backend() == "sqlite" else 5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _every_state_once(test: Any) -> Any:
    for state in sorted(SCENES):
        test = example(state=state, script=EVERY_KIND)(test)
    return test


@SETTINGS
@_every_state_once
@given(state=st.sampled_from(sorted(SCENES)), script=st.lists(acts(), min_size=1, max_size=6))
async def test_any_update_in_any_state_is_answered_safely(
    world: World, state: str, script: list[Act]
) -> None:
    with logged_errors() as errors:
        scene = await SCENES[state](world, state)
        assert errors.take() == [], f"setting up {state}"
        for act in script:
            await play(world, scene, act, errors)
        world.outbox_checked = await check_queued_notices(world, world.outbox_checked)
        await check_history(world, scene.own_case)
