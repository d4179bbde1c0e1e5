from __future__ import annotations

import asyncio

import pytest

from bot.chat_locks import ChatLocks

pytestmark = pytest.mark.backend_independent


async def test_updates_of_one_chat_run_one_at_a_time_in_arrival_order() -> None:
    locks = ChatLocks()
    running: list[str] = []
    finished: list[str] = []

    async def work(name: str) -> None:
        running.append(name)
        assert len(running) == 1, f"{running} overlap"
        await asyncio.sleep(0.01)
        running.remove(name)
        finished.append(name)

    await asyncio.gather(*(locks.run(7, lambda n=n: work(n)) for n in "abcde"))
    assert finished == list("abcde")


async def test_different_chats_run_concurrently() -> None:
    locks = ChatLocks()
    both_inside = asyncio.Event()
    inside = 0

    async def work() -> None:
        nonlocal inside
        inside += 1
        if inside == 2:
            both_inside.set()
        await asyncio.wait_for(both_inside.wait(), timeout=1)

    await asyncio.gather(locks.run(1, work), locks.run(2, work))


async def test_idle_chats_are_forgotten() -> None:
    locks = ChatLocks()

    async def work() -> int:
        return 1

    assert await locks.run(9, work) == 1
    assert locks._locks == {}  # the bound on memory is the behaviour under test
