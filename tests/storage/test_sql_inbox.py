"""The durable inbox: stored once, claimed per chat in order, leased, retried, given up."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from storage.ports import IncomingUpdate
from tests.storage.conftest import Database, postgres_only
from tests.storage.factories import T0

LEASE = timedelta(seconds=60)


def incoming(update_id: int, chat_id: int | None) -> IncomingUpdate:
    return IncomingUpdate(update_id, chat_id, {"update_id": update_id, "n": update_id})


async def store(db: Database, *updates: IncomingUpdate) -> int:
    async with db.uow() as uow:
        added = await uow.inbox.add_many(list(updates), T0)
        await uow.commit()
    return added


async def claim(
    db: Database, worker: str, limit: int = 10, at: timedelta = timedelta()
) -> list[int]:
    async with db.uow() as uow:
        claimed = await uow.inbox.claim(T0 + at, worker, LEASE, limit)
        await uow.commit()
    return [item.update_id for item in claimed]


async def done(db: Database, *update_ids: int) -> None:
    async with db.uow() as uow:
        for update_id in update_ids:
            await uow.inbox.done([update_id], T0)
        await uow.commit()


async def test_an_update_delivered_twice_is_stored_once(db: Database) -> None:
    assert await store(db, incoming(1, 10), incoming(2, 10)) == 2
    assert await store(db, incoming(2, 10), incoming(3, 10)) == 1
    async with db.uow() as uow:
        assert await uow.inbox.backlog() == 3


async def test_each_chat_yields_only_its_oldest_pending_update(db: Database) -> None:
    await store(db, incoming(1, 10), incoming(2, 20), incoming(3, 10), incoming(4, 30))
    assert await claim(db, "w1") == [1, 2, 4]
    # Chat 10's next update waits until its first one is done, whoever asks.
    assert await claim(db, "w2") == []
    await done(db, 1)
    assert await claim(db, "w2") == [3]


async def test_claim_returns_the_payload_and_counts_attempts(db: Database) -> None:
    await store(db, incoming(7, 10))
    async with db.uow() as uow:
        [item] = await uow.inbox.claim(T0, "w1", LEASE, 10)
        await uow.commit()
    assert (item.update_id, item.chat_id, item.payload, item.attempts) == (
        7,
        10,
        {"update_id": 7, "n": 7},
        1,
    )


async def test_a_worker_that_dies_loses_its_update_to_another_after_the_lease(
    db: Database,
) -> None:
    await store(db, incoming(1, 10), incoming(2, 10))
    assert await claim(db, "dead") == [1]
    assert await claim(db, "w2", at=LEASE - timedelta(seconds=1)) == []
    assert await claim(db, "w2", at=LEASE) == [1]


async def test_updates_without_a_chat_run_independently(db: Database) -> None:
    await store(db, incoming(1, None), incoming(2, None))
    assert await claim(db, "w1") == [1, 2]


async def test_claim_honours_the_limit_oldest_chats_first(db: Database) -> None:
    await store(db, *(incoming(n, n * 10) for n in range(1, 6)))
    assert await claim(db, "w1", limit=2) == [1, 2]
    assert await claim(db, "w1", limit=2) == [3, 4]


async def test_a_retried_update_holds_its_chat_until_it_is_due_again(db: Database) -> None:
    await store(db, incoming(1, 10), incoming(2, 10))
    await claim(db, "w1")
    async with db.uow() as uow:
        await uow.inbox.retry(1, "boom", T0 + timedelta(seconds=5))
        await uow.commit()
    assert await claim(db, "w1", at=timedelta(seconds=4)) == []
    assert await claim(db, "w1", at=timedelta(seconds=5)) == [1]


async def test_a_failed_update_no_longer_holds_its_chat(db: Database) -> None:
    await store(db, incoming(1, 10), incoming(2, 10))
    await claim(db, "w1")
    async with db.uow() as uow:
        await uow.inbox.fail(1, T0, "poison")
        await uow.commit()
    assert await claim(db, "w1") == [2]
    async with db.uow() as uow:
        assert await uow.inbox.backlog() == 1


async def test_release_hands_back_only_the_workers_own_pending_updates(db: Database) -> None:
    await store(db, incoming(1, 10), incoming(2, 20))
    await claim(db, "w1", limit=1)
    await claim(db, "w2", limit=1)
    async with db.uow() as uow:
        assert await uow.inbox.release("w1") == 1
        await uow.commit()
    assert await claim(db, "w3") == [1]


@postgres_only
async def test_concurrent_claimers_never_share_an_update(db: Database) -> None:
    await store(db, *(incoming(n, n % 7) for n in range(1, 61)))
    seen: list[int] = []
    for _ in range(12):
        batches = await asyncio.gather(*(claim(db, f"w{i}", limit=3) for i in range(4)))
        for batch in batches:
            seen.extend(batch)
            await done(db, *batch)
    assert sorted(seen) == list(range(1, 61))
