"""Case numbers cannot be enumerated: unknown and foreign numbers are misses alike, and too many
misses in ten minutes pause look-ups with a polite answer."""

from __future__ import annotations

from datetime import timedelta

from dialogs.case_lookup import MAX_MISSES
from tests.dialogs.case_support import BUYER, STRANGER, CaseWorld

UNKNOWN = "TS20261125-ZZZZZ"


async def test_unknown_and_foreign_numbers_are_answered_alike_and_both_count() -> None:
    world = CaseWorld.make()
    foreign = await world.file()  # BUYER's case; STRANGER looks it up
    stranger = world.chat(STRANGER)
    unknown_answer = await stranger.send(f"/status {UNKNOWN}")
    foreign_answer = await stranger.send(f"/status {foreign}")
    assert unknown_answer.keys == foreign_answer.keys == ["status.not_found"]
    for _ in range(MAX_MISSES - 2):
        assert (await stranger.click(f"b:file:{foreign}")).keys == ["status.not_found"]
    paused = await stranger.send(f"/status {UNKNOWN}")
    assert paused.keys == ["lookup.too_many"]
    assert paused.params("lookup.too_many")["minutes"] == 10
    assert (await stranger.click(f"b:file:{foreign}")).keys == ["lookup.too_many"]


async def test_while_paused_not_even_the_users_own_case_is_looked_up_until_the_window_passes() -> (
    None
):
    world = CaseWorld.make()
    own = await world.file()
    buyer = world.chat(BUYER)
    for _ in range(MAX_MISSES):
        await buyer.send(f"/status {UNKNOWN}")
    assert (await buyer.send(f"/status {own}")).keys == ["lookup.too_many"]
    world.clock.advance(timedelta(minutes=4))
    assert (await buyer.send(f"/status {own}")).params("lookup.too_many")["minutes"] == 6
    world.clock.advance(timedelta(minutes=6))
    assert "lookup.too_many" not in (await buyer.send(f"/status {own}")).keys


async def test_a_few_typos_are_not_punished() -> None:
    world = CaseWorld.make()
    own = await world.file()
    buyer = world.chat(BUYER)
    for _ in range(MAX_MISSES - 1):
        await buyer.send(f"/status {UNKNOWN}")
    assert "lookup.too_many" not in (await buyer.send(f"/status {own}")).keys
