"""One worker's leases across the inbox, the outbox and the job table: renewed and released."""

from __future__ import annotations

from datetime import timedelta

from storage.ports import IncomingUpdate
from tests.storage.conftest import Database
from tests.storage.factories import T0

LEASE = timedelta(seconds=30)


async def hold_one_of_each(db: Database, worker_id: str) -> None:
    """Claims one stored update, one outbox message and one job for `worker_id` at T0."""
    async with db.uow() as uow:
        await uow.inbox.add_many([IncomingUpdate(1, 7, {"update_id": 1})], T0)
        await uow.outbox.add(7, {"n": 1}, T0)
        await uow.jobs.add("remind", T0, {"n": 1})
        await uow.commit()
    async with db.uow() as uow:
        assert len(await uow.inbox.claim(T0, worker_id, LEASE, 5)) == 1
        assert len(await uow.outbox.claim_due(T0, worker_id, LEASE, 5)) == 1
        assert len(await uow.jobs.claim_due(T0, worker_id, LEASE, 5)) == 1
        await uow.commit()


async def claimable_by_another(db: Database, at: timedelta) -> int:
    """How many of the three rows a second worker can claim at T0 + `at` (rolled back)."""
    now = T0 + at
    async with db.uow() as uow:
        return (
            len(await uow.inbox.claim(now, "other", LEASE, 5))
            + len(await uow.outbox.claim_due(now, "other", LEASE, 5))
            + len(await uow.jobs.claim_due(now, "other", LEASE, 5))
        )


async def test_renewing_keeps_every_row_of_a_living_worker_past_its_first_lease(
    db: Database,
) -> None:
    await hold_one_of_each(db, "w1")
    beat = T0 + timedelta(seconds=25)
    async with db.uow() as uow:
        assert await uow.leases.renew("w1", beat, beat + LEASE) == 3
        assert await uow.leases.renew("w2", beat, beat + LEASE) == 0
        await uow.commit()
    assert await claimable_by_another(db, timedelta(seconds=50)) == 0
    # Renewals stop (the process died): one lease later all three are free.
    assert await claimable_by_another(db, timedelta(seconds=55)) == 3


async def test_a_lease_that_ran_out_is_not_renewed_nor_a_longer_one_shortened(
    db: Database,
) -> None:
    await hold_one_of_each(db, "w1")
    late = T0 + LEASE + timedelta(seconds=1)
    async with db.uow() as uow:
        assert await uow.leases.renew("w1", late, late + LEASE) == 0
        # Renewing to an earlier end than the lease has changes nothing.
        assert await uow.leases.renew("w1", T0, T0 + timedelta(seconds=10)) == 0
        await uow.commit()
    assert await claimable_by_another(db, timedelta(seconds=20)) == 0
    assert await claimable_by_another(db, LEASE) == 3


async def test_releasing_frees_what_a_worker_of_that_name_held_at_once(db: Database) -> None:
    await hold_one_of_each(db, "w1")
    async with db.uow() as uow:
        assert await uow.leases.release("w2") == 0
        assert await uow.leases.release("w1") == 3
        await uow.commit()
    assert await claimable_by_another(db, timedelta(seconds=1)) == 3
