"""The sender side of the outbox table, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import OutboxRow
from storage.repositories import outbox as outbox_repository
from storage.repositories._direct import Outcome
from tests.storage.conftest import Database, postgres_only
from tests.storage.factories import T0

LEASE = timedelta(minutes=2)
BUYER, OTHER_BUYER, STAFF_GROUP = 1001, 1002, -100_500


def note(n: int) -> dict[str, Any]:
    return {"locale": "zh_CN", "key": "menu.cancelled", "params": {"n": n}, "buttons": []}


async def queue(db: Database, *messages: tuple[int, int], due: timedelta = timedelta()) -> None:
    """Queues (chat_id, n) messages, due at T0 + due."""
    async with db.uow() as uow:
        for chat_id, n in messages:
            await uow.outbox.add(chat_id, note(n), T0 + due)
        await uow.commit()


async def row(db: Database, message_id: int) -> OutboxRow:
    async with db.sessions() as session:
        found = await session.get(OutboxRow, message_id)
        assert found is not None
        return found


async def test_claim_leases_due_messages_oldest_due_chat_first_in_queue_order(
    db: Database,
) -> None:
    await queue(db, (BUYER, 2), due=timedelta(minutes=2))
    await queue(db, (OTHER_BUYER, 1), due=timedelta(minutes=1))
    await queue(db, (STAFF_GROUP, 3), due=timedelta(hours=1))  # not yet due
    now = T0 + timedelta(minutes=5)
    async with db.uow() as uow:
        (oldest,) = await uow.outbox.claim_due(now, "w1", LEASE, 1)
        assert (oldest.chat_id, oldest.payload) == (OTHER_BUYER, note(1))
        await uow.outbox.postpone_chat(OTHER_BUYER, now, now, "w1")  # hands it back
        claimed = await uow.outbox.claim_due(now, "w1", LEASE, 10)
        await uow.commit()
    assert [(m.chat_id, m.payload["params"]["n"], m.attempts) for m in claimed] == [
        (BUYER, 2, 0),
        (OTHER_BUYER, 1, 0),
    ]
    async with db.uow() as uow:
        assert await uow.outbox.claim_due(now + timedelta(minutes=1), "w2", LEASE, 10) == []
        expired = await uow.outbox.claim_due(now + LEASE, "w2", LEASE, 10)
    assert [m.id for m in expired] == [m.id for m in claimed]


async def test_a_sent_message_keeps_its_telegram_id_and_is_never_claimed_again(
    db: Database,
) -> None:
    await queue(db, (BUYER, 1))
    async with db.uow() as uow:
        (message,) = await uow.outbox.claim_due(T0, "w1", LEASE, 10)
        await uow.outbox.mark_sent(message.id, T0 + timedelta(seconds=1), 4242)
        await uow.commit()
    stored = await row(db, message.id)
    assert (stored.sent_at, stored.message_id, stored.locked_by) == (
        T0 + timedelta(seconds=1),
        4242,
        None,
    )
    async with db.uow() as uow:
        assert await uow.outbox.claim_due(T0 + timedelta(days=1), "w1", LEASE, 10) == []


async def test_a_retried_message_counts_the_attempt_and_waits_for_its_next_due_time(
    db: Database,
) -> None:
    await queue(db, (BUYER, 1))
    async with db.uow() as uow:
        (message,) = await uow.outbox.claim_due(T0, "w1", LEASE, 10)
        await uow.outbox.retry(message.id, "Bad Gateway " * 1000, T0 + timedelta(seconds=30))
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.outbox.claim_due(T0 + timedelta(seconds=29), "w1", LEASE, 10) == []
        (again,) = await uow.outbox.claim_due(T0 + timedelta(seconds=30), "w2", LEASE, 10)
    assert (again.id, again.attempts) == (message.id, 1)
    assert len((await row(db, message.id)).last_error or "") == 2000


async def test_a_failed_message_is_never_claimed_again(db: Database) -> None:
    await queue(db, (BUYER, 1))
    async with db.uow() as uow:
        (message,) = await uow.outbox.claim_due(T0, "w1", LEASE, 10)
        await uow.outbox.fail(message.id, T0, "Bad Request: chat not found")
        await uow.commit()
    stored = await row(db, message.id)
    assert (stored.failed_at, stored.last_error) == (T0, "Bad Request: chat not found")
    async with db.uow() as uow:
        assert await uow.outbox.claim_due(T0 + timedelta(days=1), "w1", LEASE, 10) == []


async def test_postponing_a_chat_moves_its_messages_together_and_releases_ours(
    db: Database,
) -> None:
    await queue(db, (BUYER, 1), (BUYER, 2), (OTHER_BUYER, 3))
    await queue(db, (BUYER, 4), due=timedelta(minutes=10))  # already later: stays put
    async with db.uow() as uow:
        claimed = await uow.outbox.claim_due(T0, "w1", LEASE, 2, skip_chats={OTHER_BUYER})
        moved = await uow.outbox.postpone_chat(BUYER, T0 + timedelta(seconds=7), T0, "w1")
        await uow.commit()
    assert [m.payload["params"]["n"] for m in claimed] == [1, 2]
    assert moved == 2
    async with db.uow() as uow:
        # Released (no lease left) but not due before the new time; the other chat is.
        first = await uow.outbox.claim_due(T0 + timedelta(seconds=6), "w2", LEASE, 10)
        assert [m.payload["params"]["n"] for m in first] == [3]
        later = await uow.outbox.claim_due(T0 + timedelta(seconds=7), "w2", LEASE, 10)
    assert [m.payload["params"]["n"] for m in later] == [1, 2]


async def test_postponing_leaves_messages_under_another_workers_lease_alone(
    db: Database,
) -> None:
    await queue(db, (BUYER, 1))
    async with db.uow() as uow:
        (theirs,) = await uow.outbox.claim_due(T0, "w1", LEASE, 10)
        assert await uow.outbox.postpone_chat(BUYER, T0 + timedelta(hours=1), T0, "w2") == 0
        await uow.commit()
    stored = await row(db, theirs.id)
    assert (stored.due_at, stored.locked_by) == (T0, "w1")


async def test_a_chat_another_worker_is_writing_to_is_skipped_until_its_lease_ends(
    db: Database,
) -> None:
    await queue(db, (BUYER, 1), (BUYER, 2), (OTHER_BUYER, 3))
    async with db.uow() as uow:
        first = await uow.outbox.claim_due(T0, "w1", LEASE, 1)
        second = await uow.outbox.claim_due(T0, "w2", LEASE, 10)
        await uow.commit()
    assert [m.payload["params"]["n"] for m in first] == [1]
    # BUYER's second message waits for w1, so the chat's order and pace stay with one worker.
    assert [m.payload["params"]["n"] for m in second] == [3]
    async with db.uow() as uow:
        after_lease = await uow.outbox.claim_due(T0 + LEASE, "w2", LEASE, 10)
    assert [m.payload["params"]["n"] for m in after_lease] == [1, 2, 3]


async def test_a_claim_skips_the_chats_its_worker_is_still_writing_to(db: Database) -> None:
    await queue(db, (BUYER, 1), (OTHER_BUYER, 2), (STAFF_GROUP, 3), (BUYER, 4))
    async with db.uow() as uow:
        claimed = await uow.outbox.claim_due(T0, "w1", LEASE, 10, skip_chats={BUYER})
        await uow.commit()
    assert [m.payload["params"]["n"] for m in claimed] == [2, 3]
    async with db.uow() as uow:
        rest = await uow.outbox.claim_due(T0, "w1", LEASE, 10, skip_chats={OTHER_BUYER})
    assert [m.payload["params"]["n"] for m in rest] == [1, 4]


async def test_a_message_waiting_for_its_retry_holds_back_only_its_chats_later_ones(
    db: Database,
) -> None:
    await queue(db, (BUYER, 1), (BUYER, 2), (OTHER_BUYER, 3), (BUYER, 4))
    async with db.uow() as uow:
        (first,) = await uow.outbox.claim_due(T0, "w1", LEASE, 1)
        await uow.outbox.retry(first.id, "Bad Gateway", T0 + timedelta(seconds=5))
        await uow.commit()
    async with db.uow() as uow:
        meanwhile = await uow.outbox.claim_due(T0 + timedelta(seconds=1), "w2", LEASE, 10)
        await uow.commit()
    assert [m.payload["params"]["n"] for m in meanwhile] == [3]
    async with db.uow() as uow:
        assert await uow.outbox.earlier_pending(BUYER, first.id + 1)
        assert not await uow.outbox.earlier_pending(BUYER, first.id)
        retried = await uow.outbox.claim_due(T0 + timedelta(seconds=5), "w2", LEASE, 10)
        await uow.commit()
    assert [m.payload["params"]["n"] for m in retried] == [1, 2, 4]


async def test_a_message_leased_to_any_worker_holds_back_the_chats_later_ones(
    db: Database,
) -> None:
    await queue(db, (BUYER, 1), (BUYER, 2), (OTHER_BUYER, 3))
    async with db.uow() as uow:
        (first,) = await uow.outbox.claim_due(T0, "w1", LEASE, 1)
        await uow.commit()
    async with db.uow() as uow:
        # The same worker too: its loop may claim while its reply path is still sending.
        for worker in ("w1", "w2"):
            claimed = await uow.outbox.claim_due(T0, worker, LEASE, 10, skip_chats={OTHER_BUYER})
            assert claimed == []
        # A reply queued leased behind it waits for it, and the chat's rows after the reply
        # wait for the reply.
        reply = await uow.outbox.add_claimed(BUYER, note(9), T0, "reply:1:0", "w2", LEASE)
        assert reply is not None
        assert await uow.outbox.earlier_pending(BUYER, reply.id)
        await uow.outbox.mark_sent(first.id, T0, 1)
        assert await uow.outbox.earlier_pending(BUYER, reply.id)  # message 2 still waits
        later = await uow.outbox.claim_due(T0, "w1", LEASE, 10, skip_chats={OTHER_BUYER})
        await uow.commit()
    assert [m.payload["params"]["n"] for m in later] == [2]


async def test_a_claim_takes_each_chats_first_message_before_any_chats_second(
    db: Database,
) -> None:
    await queue(db, (BUYER, 1), (BUYER, 2), (BUYER, 3), (OTHER_BUYER, 4), (STAFF_GROUP, 5))
    async with db.uow() as uow:
        claimed = await uow.outbox.claim_due(T0, "w1", LEASE, 4)
        await uow.commit()
    assert [m.payload["params"]["n"] for m in claimed] == [1, 2, 4, 5]


async def test_a_reply_is_queued_leased_to_its_worker_and_once_per_key(db: Database) -> None:
    async with db.uow() as uow:
        queued = await uow.outbox.add_claimed(BUYER, note(1), T0, "reply:7:0", "w1", LEASE)
        again = await uow.outbox.add_claimed(BUYER, note(9), T0, "reply:7:0", "w1", LEASE)
        await uow.commit()
    assert queued is not None
    assert (queued.chat_id, queued.payload, queued.due_at, queued.attempts) == (
        BUYER,
        note(1),
        T0,
        0,
    )
    assert again is None  # the same update handled again queues nothing
    stored = await row(db, queued.id)
    assert (stored.locked_by, stored.locked_until, stored.payload) == ("w1", T0 + LEASE, note(1))
    async with db.uow() as uow:
        # Its own worker sends it; nobody claims it while the lease holds, anybody after.
        assert await uow.outbox.claim_due(T0 + timedelta(seconds=1), "w2", LEASE, 10) == []
        later = await uow.outbox.claim_due(T0 + LEASE, "w2", LEASE, 10)
    assert [m.id for m in later] == [queued.id]


async def test_pending_messages_follow_a_group_that_became_a_supergroup(db: Database) -> None:
    supergroup = -100_999
    await queue(db, (STAFF_GROUP, 1), (STAFF_GROUP, 2), (BUYER, 3))
    async with db.uow() as uow:
        assert await uow.outbox.move_chat(STAFF_GROUP, supergroup) == 2
        claimed = await uow.outbox.claim_due(T0, "w1", LEASE, 10)
    assert [(m.chat_id, m.payload["params"]["n"]) for m in claimed] == [
        (supergroup, 1),
        (supergroup, 2),
        (BUYER, 3),
    ]


async def test_blocked_chats_are_recorded_once_and_can_be_forgotten(db: Database) -> None:
    async with db.uow() as uow:
        assert await uow.outbox.blocked_among([BUYER, OTHER_BUYER]) == set()
        await uow.outbox.block_chat(BUYER, T0, "Forbidden: bot was blocked by the user")
        await uow.outbox.block_chat(BUYER, T0 + timedelta(hours=1), "again")
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.outbox.blocked_among([BUYER, OTHER_BUYER]) == {BUYER}
        assert await uow.outbox.blocked_among([]) == set()
        assert await uow.outbox.unblock_chat(BUYER) is True
        assert await uow.outbox.unblock_chat(BUYER) is False
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.outbox.blocked_among([BUYER]) == set()


@postgres_only
async def test_concurrent_claimers_on_postgres_skip_each_others_messages(db: Database) -> None:
    await queue(db, *((chat_id, chat_id) for chat_id in range(1, 7)))
    async with db.uow() as first, db.uow() as second:
        mine = await first.outbox.claim_due(T0, "w1", LEASE, 4)
        # `first` has not committed: its rows are locked, so `second` skips them at once.
        theirs = await asyncio.wait_for(second.outbox.claim_due(T0, "w2", LEASE, 4), 5)
        await first.commit()
        await second.commit()
    assert len(mine) == 4
    assert len(theirs) == 2
    assert not {m.id for m in mine} & {m.id for m in theirs}


@postgres_only
async def test_concurrent_claimers_on_postgres_never_split_a_chat(db: Database) -> None:
    await queue(db, (BUYER, 1), (BUYER, 2), (BUYER, 3), (OTHER_BUYER, 4))
    async with db.uow() as first, db.uow() as second:
        mine = await first.outbox.claim_due(T0, "w1", LEASE, 1)
        # Neither lease is committed yet; BUYER's later messages still stay with `first`.
        theirs = await asyncio.wait_for(second.outbox.claim_due(T0, "w2", LEASE, 10), 5)
        await first.commit()
        await second.commit()
    assert [(m.chat_id, m.payload["params"]["n"]) for m in mine] == [(BUYER, 1)]
    assert [(m.chat_id, m.payload["params"]["n"]) for m in theirs] == [(OTHER_BUYER, 4)]


async def test_many_workers_claiming_at_once_never_share_a_message(db: Database) -> None:
    await queue(db, *((chat_id % 13, n) for n, chat_id in enumerate(range(1, 41))))

    async def worker(name: str) -> list[int]:
        got: list[int] = []
        while True:
            async with db.uow() as uow:
                batch = await uow.outbox.claim_due(T0, name, LEASE, 3)
                for message in batch:
                    await uow.outbox.mark_sent(message.id, T0, 1)
                await uow.commit()
            if not batch:
                return got
            got.extend(message.id for message in batch)
            await asyncio.sleep(0)

    results = await asyncio.gather(*(worker(f"w{i}") for i in range(5)))
    claimed = [message_id for ids in results for message_id in ids]
    assert len(claimed) == 40
    assert len(set(claimed)) == 40


async def test_the_notices_before_a_reply_are_leased_with_it_in_its_own_transaction(
    db: Database,
) -> None:
    await queue(db, (BUYER, 1), (BUYER, 2))
    async with db.uow() as uow:
        reply = await uow.outbox.add_claimed(BUYER, note(3), T0, "reply:1:0", "w1", LEASE)
        assert reply is not None
        ahead = await uow.outbox.claim_earlier(BUYER, reply.id, T0, "w1", LEASE, 5)
        await uow.commit()
    assert ahead is not None
    assert [m.payload["params"]["n"] for m in ahead] == [1, 2]
    assert {(await row(db, m.id)).locked_by for m in ahead} == {"w1"}


async def test_notices_that_cannot_all_be_leased_leave_none_leased_though_it_commits(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The reply's transaction found two notices, but only the first could be leased (the
    # second was sent meanwhile: the lookup's row lock rules that out today, the check must not
    # rely on it). The reply waits (None), and the first notice is not left leased to a
    # process that will not send it, though the transaction commits (it queued the reply).
    await queue(db, (BUYER, 1), (BUYER, 2))
    async with db.sessions() as session:
        ids = (await session.execute(select(OutboxRow.id).order_by(OutboxRow.id))).scalars()
        first_id, second_id = list(ids)
    async with db.uow() as uow:
        await uow.outbox.mark_sent(second_id, T0, 99)
        await uow.commit()
    lookup = outbox_repository._EARLIER_IN_QUEUE.run

    async def as_seen_before(session: Any, params: Any) -> Outcome:
        found = await lookup(session, params)
        sent = SimpleNamespace(id=second_id, due_at=T0, locked_until=None)
        return Outcome([*found.rows, sent], found.rowcount + 1)

    monkeypatch.setattr(outbox_repository._EARLIER_IN_QUEUE, "run", as_seen_before)
    async with db.uow() as uow:
        reply = await uow.outbox.add_claimed(BUYER, note(3), T0, "reply:1:0", "w1", LEASE)
        assert reply is not None
        assert await uow.outbox.claim_earlier(BUYER, reply.id, T0, "w1", LEASE, 5) is None
        await uow.commit()
    assert (await row(db, first_id)).locked_by is None
