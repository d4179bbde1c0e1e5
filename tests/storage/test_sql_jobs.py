"""The durable job table and the processed-update log."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from storage.jobs import Job
from tests.storage.conftest import Database, postgres_only
from tests.storage.factories import T0

LEASE = timedelta(minutes=5)


async def test_a_job_with_a_known_key_is_not_added_twice(db: Database) -> None:
    async with db.uow() as uow:
        await uow.jobs.add("remind", T0, {"case_no": "TS1"}, key="remind:TS1:review")
        await uow.jobs.add("remind", T0, {"case_no": "TS1", "x": 1}, key="remind:TS1:review")
        await uow.jobs.add("remind", T0, {"case_no": "TS1"})
        await uow.jobs.add("remind", T0, {"case_no": "TS1"})
        await uow.commit()
    async with db.uow() as uow:
        claimed = await uow.jobs.claim_due(T0, "w1", LEASE, 10)
    assert len(claimed) == 3
    assert claimed[0].payload == {"case_no": "TS1"}


async def test_a_key_is_known_once_added_and_still_after_its_job_is_done(db: Database) -> None:
    async with db.uow() as uow:
        assert not await uow.jobs.has("dossier:buyer:TS1:1:0")
        await uow.jobs.add("case_dossier", T0, {"case_no": "TS1"}, key="dossier:buyer:TS1:1:0")
        await uow.commit()
    async with db.uow() as uow:
        (job,) = await uow.jobs.claim_due(T0, "w1", LEASE, 10)
        await uow.jobs.complete(job.id, T0)
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.jobs.has("dossier:buyer:TS1:1:0")
        assert not await uow.jobs.has("dossier:buyer:TS1:1:1")


async def test_claim_returns_due_jobs_oldest_first_and_leases_them(db: Database) -> None:
    async with db.uow() as uow:
        await uow.jobs.add("remind", T0 + timedelta(minutes=2), {"n": 2})
        await uow.jobs.add("remind", T0 + timedelta(minutes=1), {"n": 1})
        await uow.jobs.add("remind", T0 + timedelta(hours=1), {"n": 3})  # not yet due
        await uow.commit()
    now = T0 + timedelta(minutes=5)
    async with db.uow() as uow:
        claimed = await uow.jobs.claim_due(now, "w1", LEASE, 10)
        await uow.commit()
    assert [job.payload["n"] for job in claimed] == [1, 2]
    assert claimed[0] == Job(claimed[0].id, "remind", {"n": 1}, T0 + timedelta(minutes=1), 0)
    async with db.uow() as uow:
        # Leased: another worker gets nothing until the lease runs out.
        assert await uow.jobs.claim_due(now + timedelta(minutes=1), "w2", LEASE, 10) == []
        expired = await uow.jobs.claim_due(now + LEASE, "w2", LEASE, 10)
        await uow.commit()
    assert [job.id for job in expired] == [job.id for job in claimed]


async def test_claim_honours_the_limit_and_the_kinds(db: Database) -> None:
    async with db.uow() as uow:
        for n in range(3):
            await uow.jobs.add("download_evidence", T0, {"n": n})
        await uow.jobs.add("remind", T0, {"n": 9})
        await uow.commit()
    async with db.uow() as uow:
        first = await uow.jobs.claim_due(T0, "w1", LEASE, 2, kinds=["download_evidence"])
        rest = await uow.jobs.claim_due(T0, "w1", LEASE, 5, kinds=["download_evidence"])
        reminders = await uow.jobs.claim_due(T0, "w1", LEASE, 5, kinds=["remind"])
        assert await uow.jobs.claim_due(T0, "w1", LEASE, 5, kinds=[]) == []
    assert [len(first), len(rest)] == [2, 1]
    assert [job.kind for job in reminders] == ["remind"]


async def test_completed_jobs_are_never_claimed_again(db: Database) -> None:
    async with db.uow() as uow:
        await uow.jobs.add("remind", T0, {})
        await uow.commit()
    async with db.uow() as uow:
        (job,) = await uow.jobs.claim_due(T0, "w1", LEASE, 1)
        await uow.jobs.complete(job.id, T0 + timedelta(seconds=1))
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.jobs.claim_due(T0 + timedelta(days=1), "w1", LEASE, 1) == []


async def test_a_retried_job_counts_the_attempt_and_waits_for_its_next_due_time(
    db: Database,
) -> None:
    async with db.uow() as uow:
        await uow.jobs.add("download_evidence", T0, {"evidence_id": 7})
        await uow.commit()
    async with db.uow() as uow:
        (job,) = await uow.jobs.claim_due(T0, "w1", LEASE, 1)
        await uow.jobs.retry(job.id, T0, "network down " * 1000, T0 + timedelta(minutes=10))
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.jobs.claim_due(T0 + timedelta(minutes=9), "w1", LEASE, 1) == []
        (again,) = await uow.jobs.claim_due(T0 + timedelta(minutes=10), "w2", LEASE, 1)
    assert (again.id, again.attempts, again.due_at) == (job.id, 1, T0 + timedelta(minutes=10))


@postgres_only
async def test_concurrent_claimers_on_postgres_skip_each_others_jobs(db: Database) -> None:
    async with db.uow() as uow:
        for n in range(6):
            await uow.jobs.add("remind", T0, {"n": n})
        await uow.commit()
    async with db.uow() as first, db.uow() as second:
        mine = await first.jobs.claim_due(T0, "w1", LEASE, 4)
        # `first` has not committed: its rows are locked, so `second` skips them at once.
        theirs = await asyncio.wait_for(second.jobs.claim_due(T0, "w2", LEASE, 4), 5)
        await first.commit()
        await second.commit()
    assert len(mine) == 4
    assert len(theirs) == 2
    assert not {job.id for job in mine} & {job.id for job in theirs}


async def test_many_workers_claiming_at_once_never_share_a_job(db: Database) -> None:
    async with db.uow() as uow:
        for n in range(40):
            await uow.jobs.add("remind", T0, {"n": n})
        await uow.commit()

    async def worker(name: str) -> list[int]:
        got: list[int] = []
        while True:
            async with db.uow() as uow:
                batch = await uow.jobs.claim_due(T0, name, LEASE, 3)
                await uow.commit()
            if not batch:
                return got
            got.extend(job.id for job in batch)
            await asyncio.sleep(0)

    results = await asyncio.gather(*(worker(f"w{i}") for i in range(5)))
    claimed = [job_id for ids in results for job_id in ids]
    assert len(claimed) == 40
    assert len(set(claimed)) == 40


async def _keys_of_claimable_jobs(db: Database) -> list[str]:
    async with db.uow() as uow:
        claimed = await uow.jobs.claim_due(T0 + timedelta(days=30), "probe", LEASE, 100)
        # not committed: the probe leaves the jobs as they were
    return sorted(job.payload["key"] for job in claimed)


async def test_cancelling_by_prefix_marks_only_the_pending_jobs_of_that_prefix_done(
    db: Database,
) -> None:
    keys = ["remind:TS1:review:24h", "remind:TS1:review:2h", "deadline:TS1:review", "remind:TS2"]
    async with db.uow() as uow:
        for key in keys:
            await uow.jobs.add("remind", T0, {"key": key}, key=key)
        await uow.jobs.add("remind", T0, {"key": "unkeyed"})
        (done,) = await uow.jobs.claim_due(T0, "w1", LEASE, 1)  # remind:TS1:review:24h
        await uow.jobs.complete(done.id, T0)
        await uow.commit()
    async with db.uow() as uow:
        # The completed job is not counted again.
        assert await uow.jobs.cancel("remind:TS1:", T0 + timedelta(minutes=1)) == 1
        await uow.commit()
    assert await _keys_of_claimable_jobs(db) == ["deadline:TS1:review", "remind:TS2", "unkeyed"]
    async with db.uow() as uow:
        assert await uow.jobs.cancel("remind:TS1:", T0 + timedelta(minutes=2)) == 0


async def test_a_cancel_prefix_matches_underscore_and_percent_literally_and_case_sensitively(
    db: Database,
) -> None:
    keys = [
        "remind:TS1:buyer_decision",
        "remind:TS1:buyerXdecision",  # "_" would match the X in an unescaped LIKE
        "remind:TS1:evidence",  # "%" would match anything
        "remind:ts1:buyer_decision",  # SQLite's LIKE alone would ignore the case
    ]
    async with db.uow() as uow:
        for key in keys:
            await uow.jobs.add("remind", T0, {"key": key}, key=key)
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.jobs.cancel("remind:TS1:%", T0) == 0
        assert await uow.jobs.cancel("remind:TS1:buyer_", T0) == 1
        await uow.commit()
    assert await _keys_of_claimable_jobs(db) == sorted(keys[1:])


async def test_a_cancelled_job_that_a_worker_holds_is_not_retried(db: Database) -> None:
    async with db.uow() as uow:
        await uow.jobs.add("remind", T0, {"key": "remind:TS1"}, key="remind:TS1")
        await uow.commit()
    async with db.uow() as uow:
        (job,) = await uow.jobs.claim_due(T0, "w1", LEASE, 1)
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.jobs.cancel("remind:TS1", T0) == 1
        await uow.commit()
    async with db.uow() as uow:
        await uow.jobs.retry(job.id, T0, "send failed", T0 + timedelta(minutes=1))
        await uow.commit()
    assert await _keys_of_claimable_jobs(db) == []


async def test_cancelling_with_an_empty_prefix_is_refused(db: Database) -> None:
    async with db.uow() as uow:
        await uow.jobs.add("remind", T0, {"key": "k"}, key="k")
        with pytest.raises(ValueError, match="empty"):
            await uow.jobs.cancel("", T0)


async def test_an_update_is_processed_once(db: Database) -> None:
    update_id = 9_876_543_210
    async with db.uow() as uow:
        assert await uow.updates.mark_processed(update_id, T0) is True
        assert await uow.updates.mark_processed(update_id, T0) is False
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.updates.mark_processed(update_id, T0) is False


async def test_a_rolled_back_update_mark_lets_the_update_be_handled_again(
    db: Database,
) -> None:
    async with db.uow() as uow:
        assert await uow.updates.mark_processed(1, T0) is True
        # no commit: the handler crashed
    async with db.uow() as uow:
        assert await uow.updates.mark_processed(1, T0) is True
