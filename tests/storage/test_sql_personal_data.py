"""Removing a buyer's personal data: what goes, what stays, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from cases.model import CaseStatus, EvidenceStatus
from storage.models import DataErasureRow, InboxRow, OutboxRow
from storage.ports import IncomingUpdate
from tests.storage.conftest import Database
from tests.storage.factories import T0, case, evidence_file, order

BUYER = 7_000_000_001
OTHER = 7_000_000_002
DIGEST = "d" * 64


async def _filed(db: Database) -> None:
    async with db.uow() as uow:
        await uow.orders.upsert(order("KM1"))
        await uow.orders.upsert(order("KM2"))
        await uow.cases.add(case("TS1", "KM1", status=CaseStatus.REFUNDED))
        await uow.cases.add(case("TS2", "KM2"))
        named = evidence_file("u1", file_name="我的聊天记录.pdf")
        first = await uow.evidence.add("TS1", named, T0)
        await uow.evidence.add("TS1", evidence_file("u2"), T0)
        shared = await uow.evidence.add("TS2", evidence_file("u3"), T0)
        await uow.evidence.mark_stored(first, DIGEST, "/ev/dd/" + DIGEST)
        await uow.evidence.mark_stored(shared, DIGEST, "/ev/dd/" + DIGEST)
        await uow.commit()


async def test_anonymising_a_case_blanks_its_text_and_strips_its_files(db: Database) -> None:
    await _filed(db)
    async with db.uow() as uow:
        removed = await uow.personal_data.anonymise_case("TS1", T0 + timedelta(days=9))
        await uow.commit()
    assert (removed.evidence_removed, removed.digests) == (2, (DIGEST,))
    async with db.uow() as uow:
        final = await uow.cases.get("TS1")
        untouched = await uow.cases.get("TS2")
        files = await uow.evidence.list("TS1")
        other_files = await uow.evidence.list("TS2")
        # The content is still needed by the open case's file.
        assert await uow.evidence.in_use(DIGEST)
    assert final is not None
    assert untouched is not None
    assert (final.description, final.personal_data_removed_at) == ("", T0 + timedelta(days=9))
    assert untouched.description != ""
    assert untouched.personal_data_removed_at is None
    assert [f.status for f in files] == [EvidenceStatus.REMOVED] * 2
    assert [(f.file.file_id, f.file.file_name, f.stored_path) for f in files] == [
        ("", None, None)
    ] * 2
    assert files[0].sha256 == DIGEST  # kept: the record of what was shown
    assert [f.status for f in other_files] == [EvidenceStatus.STORED]
    async with db.uow() as uow:  # a second pass finds nothing more to remove
        again = await uow.personal_data.anonymise_case("TS1", T0 + timedelta(days=10))
    assert (again.evidence_removed, again.digests) == (0, ())


async def test_forgetting_a_user_deletes_their_rows_only(db: Database) -> None:
    now = T0 + timedelta(days=5)
    async with db.uow() as uow:
        for user in (BUYER, OTHER):
            await uow.users.touch(user, "zh-hans", f"name{user}", T0)
            await uow.ownership.record_failure(user, "KM_OLD", T0)
            await uow.outbox.block_chat(user, T0, "Forbidden: bot was blocked by the user")
        await uow.ownership.record_failure(BUYER, "KM_LOCKED", T0)  # older, same order:
        await uow.ownership.record_failure(BUYER, "KM_LOCKED", now - timedelta(minutes=5))
        await uow.inbox.add_many(
            [
                IncomingUpdate(1, BUYER, {"message": {"text": "我的手机号 138…"}}),
                IncomingUpdate(2, BUYER, {"message": {"text": "still queued"}}),
                IncomingUpdate(3, OTHER, {"message": {"text": "someone else"}}),
            ],
            T0,
        )
        await uow.inbox.done([1], T0)
        await uow.inbox.done([3], T0)
        for key, chat in (("sent-buyer", BUYER), ("pending-buyer", BUYER), ("sent-other", OTHER)):
            await uow.outbox.add(chat, {"key": "menu.main"}, T0, key=key)
        await uow.commit()
    async with db.engine.begin() as connection:
        await connection.execute(
            update(OutboxRow).where(OutboxRow.key.like("sent-%")).values(sent_at=T0)
        )
    async with db.uow() as uow:
        kept = await uow.personal_data.forget_user(BUYER, now - timedelta(hours=1))
        await uow.personal_data.record_erasure(now, 1, 1, 2)
        await uow.commit()
    assert kept == 2  # both failures of the order whose lock may still run
    async with db.uow() as uow:
        assert await uow.users.get(BUYER) is None
        assert await uow.users.get(OTHER) is not None
        assert len(await uow.ownership.latest_failures(BUYER, "KM_LOCKED", 5)) == 2
        assert await uow.ownership.latest_failures(BUYER, "KM_OLD", 5) == []
        assert len(await uow.ownership.latest_failures(OTHER, "KM_OLD", 5)) == 1
        assert await uow.outbox.blocked_among([BUYER, OTHER]) == {OTHER}
    async with db.engine.connect() as connection:
        inbox = set(await connection.scalars(select(InboxRow.update_id)))
        outbox = set(await connection.scalars(select(OutboxRow.key)))
        erasures = (await connection.execute(select(DataErasureRow.__table__))).all()
        count = await connection.scalar(select(func.count()).select_from(DataErasureRow))
    assert inbox == {2, 3}  # the handled one of the buyer went; the queued one waits
    assert outbox == {"pending-buyer", "sent-other"}
    assert count == 1
    [row] = erasures
    assert (row.cases_anonymised, row.cases_kept, row.evidence_removed) == (1, 1, 2)
