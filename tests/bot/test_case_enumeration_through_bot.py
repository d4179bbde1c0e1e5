"""Case numbers cannot be enumerated through the bot (dialogs/case_lookup.py).

A number that exists but is someone else's is answered byte for byte like one that does not
exist, on every way of asking. Misses count alike on every path and in every bot process; after
5 misses in 10 minutes every look-up — the user's own case included, so a pause tells nothing —
is answered "try again in N minutes" until 10 minutes after the oldest of those misses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.turns import TurnRunner
from dialogs.case_lookup import MAX_MISSES, WINDOW
from sandbox.botapi import FakeBotAPI
from tests.bot.harness import BotHarness, Person, bot_harness, build_test_deps
from tests.bot.hostile_kit import UNKNOWN_CASE
from tests.bot.hostile_scenes import NOW, World, file_until, order

OWNER, STRANGER = 1001, 4004
PAUSED_EN = "Too many look-ups"
# Every way a person names a case number: typed, as a command, or on a button.
ASKS = (
    lambda p, n: p.send(n),
    lambda p, n: p.send(f"/status {n}"),
    lambda p, n: p.send(f"/evidence {n}"),
    lambda p, n: p.feed(p.fake.build_forged_click(f"s:{n}")),
    lambda p, n: p.feed(p.fake.build_forged_click(f"b:file:{n}")),
    lambda p, n: p.feed(p.fake.build_forged_click(f"b:wd:{n}")),
    lambda p, n: p.feed(p.fake.build_forged_click(f"b:ev:{n}")),
)


@pytest.fixture
async def world(tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[tuple[World, str]]:
    async with bot_harness(tmp_path, fake_api, NOW) as harness:
        world = World(harness)
        await harness.add_orders(order("KM202611250001"))
        case_no = await file_until(world.private(OWNER), "KM202611250001", "submitted")
        assert case_no is not None
        yield world, case_no


def stranger(world: World, user_id: int = STRANGER) -> Person:
    return Person(world.harness, world.harness.api.user(id=user_id, language_code="en"))


def answer(person: Person, since: int, number: str) -> list[dict[str, Any]]:
    """Every message the bot sent the person since `since`, all parameters, number masked."""
    calls = person.harness.api.calls()[since:]
    return [
        {k: str(v).replace(number, "#") for k, v in call.params.items() if k != "chat_id"}
        for call in calls
        if call.is_("sendMessage")
    ]


async def ask(person: Person, how: int, number: str) -> list[dict[str, Any]]:
    since = person.harness.api.mark()
    await ASKS[how](person, number)
    return answer(person, since, number)


async def test_a_foreign_number_gets_the_very_bytes_an_unknown_one_gets_on_every_path(
    world: tuple[World, str],
) -> None:
    bot, case_no = world
    person = stranger(bot)
    await person.send("/start")
    for how in range(len(ASKS)):
        bot.harness.clock.advance(WINDOW)  # each pair is judged by ownership, not by the limit
        unknown = await ask(person, how, UNKNOWN_CASE)
        foreign = await ask(person, how, case_no)
        assert unknown, how
        assert foreign == unknown, how
        assert PAUSED_EN not in str(foreign)


async def test_five_misses_pause_every_look_up_until_ten_minutes_after_the_first(
    world: tuple[World, str],
) -> None:
    bot, case_no = world
    clock = bot.harness.clock
    owner = Person(bot.harness, bot.harness.api.user(id=OWNER, language_code="en"))
    first_miss = clock.now()
    for miss in range(MAX_MISSES - 1):
        [reply] = await ask(owner, miss % len(ASKS), UNKNOWN_CASE)
        assert PAUSED_EN not in reply["text"]
        clock.advance(timedelta(minutes=1))
    # Four misses: the owner still reads their own case, and that is no miss.
    shown = await ask(owner, 1, case_no)
    assert "#" in shown[0]["text"]
    assert PAUSED_EN not in shown[0]["text"]
    await ask(owner, 3, UNKNOWN_CASE)  # the fifth miss, four minutes after the first

    paused = [await ask(owner, 1, n) for n in (case_no, UNKNOWN_CASE)]
    assert paused[0] == paused[1]  # a pause says nothing about which numbers exist
    assert PAUSED_EN in paused[0][0]["text"]
    assert "in 6 minutes" in paused[0][0]["text"]
    for how in range(len(ASKS)):
        [reply] = await ask(owner, how, case_no)
        assert PAUSED_EN in reply["text"], how

    other = stranger(bot, 4005)  # misses are counted per person
    [reply] = await ask(other, 1, UNKNOWN_CASE)
    assert PAUSED_EN not in reply["text"]

    clock.set(first_miss + WINDOW - timedelta(seconds=1))
    assert PAUSED_EN in (await ask(owner, 1, case_no))[0]["text"]
    clock.set(first_miss + WINDOW)
    assert PAUSED_EN not in (await ask(owner, 1, case_no))[0]["text"]


async def test_misses_made_on_one_bot_process_count_on_another(
    world: tuple[World, str],
) -> None:
    bot, case_no = world
    first = bot.harness
    deps = build_test_deps(first.deps.settings, first.clock)
    second = BotHarness(first.api, first.bot, TurnRunner(deps, first.bot), deps, first.clock)
    try:
        on_first = Person(first, first.api.user(id=STRANGER, language_code="en"))
        on_second = Person(second, on_first.fake)
        for miss in range(MAX_MISSES):
            person = on_first if miss % 2 else on_second
            [reply] = await ask(person, 1, case_no)
            assert PAUSED_EN not in reply["text"]
        for person in (on_first, on_second):
            [reply] = await ask(person, 1, UNKNOWN_CASE)
            assert PAUSED_EN in reply["text"]
    finally:
        await deps.close()
