"""Old inbox, processed-update and outbox rows are deleted in bounded batches; nothing else."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import insert, select

from storage.models import InboxRow, OutboxRow, ProcessedUpdateRow
from storage.ports import IncomingUpdate
from tests.storage.conftest import Database, postgres_only
from tests.storage.factories import T0

CUTOFF = T0 + timedelta(days=7)
OLD, RECENT = T0, CUTOFF + timedelta(hours=1)


async def _ids(db: Database, column: object) -> set[int]:
    async with db.engine.connect() as connection:
        return set(await connection.scalars(select(column)))  # type: ignore[call-overload]


async def _outbox(db: Database, **rows: dict[str, object]) -> None:
    async with db.engine.begin() as connection:
        for key, values in rows.items():
            await connection.execute(
                insert(OutboxRow).values(chat_id=1, payload={}, due_at=OLD, key=key, **values)
            )


async def test_handled_updates_older_than_the_cutoff_go_and_pending_ones_stay(
    db: Database,
) -> None:
    async with db.uow() as uow:
        await uow.inbox.add_many([IncomingUpdate(n, 1, {"n": n}) for n in range(1, 5)], OLD)
        await uow.inbox.done([1], OLD)
        await uow.inbox.fail(2, OLD, "boom")  # given up: handled as well
        await uow.inbox.done([3], RECENT)
        # 4 is still pending, however old it is.
        for update_id, at in ((1, OLD), (2, OLD), (3, RECENT)):
            await uow.updates.mark_processed(update_id, at)
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.retention.purge_inbox(CUTOFF, 10) == 2
        assert await uow.retention.purge_processed_updates(CUTOFF, 10) == 2
        await uow.commit()
    assert await _ids(db, InboxRow.update_id) == {3, 4}
    assert await _ids(db, ProcessedUpdateRow.update_id) == {3}


async def test_sent_and_failed_messages_go_after_their_retention_and_pending_ones_stay(
    db: Database,
) -> None:
    await _outbox(
        db,
        sent_old={"sent_at": OLD},
        failed_old={"failed_at": OLD},
        sent_recent={"sent_at": RECENT},
        pending={},
    )
    async with db.uow() as uow:
        assert await uow.retention.purge_outbox(CUTOFF, 10) == 2
        await uow.commit()
    async with db.engine.connect() as connection:
        left = set(await connection.scalars(select(OutboxRow.key)))
    assert left == {"sent_recent", "pending"}


async def test_one_call_deletes_at_most_the_batch(db: Database) -> None:
    async with db.uow() as uow:
        for n in range(5):
            await uow.updates.mark_processed(n, OLD)
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.retention.purge_processed_updates(CUTOFF, 2) == 2
        assert await uow.retention.purge_processed_updates(CUTOFF, 2) == 2
        assert await uow.retention.purge_processed_updates(CUTOFF, 2) == 1
        assert await uow.retention.purge_processed_updates(CUTOFF, 2) == 0
        await uow.commit()
    assert await _ids(db, ProcessedUpdateRow.update_id) == set()


@postgres_only
async def test_two_processes_purging_at_once_share_the_rows_without_waiting(
    db: Database,
) -> None:
    async with db.uow() as uow:
        for n in range(6):
            await uow.updates.mark_processed(n, OLD)
        await uow.commit()
    async with db.uow() as first, db.uow() as second:
        mine = await first.retention.purge_processed_updates(CUTOFF, 4)
        # `first` has not committed: its rows are locked, so `second` skips them at once.
        theirs = await asyncio.wait_for(second.retention.purge_processed_updates(CUTOFF, 4), 5)
        await first.commit()
        await second.commit()
    assert (mine, theirs) == (4, 2)
    assert await _ids(db, ProcessedUpdateRow.update_id) == set()
