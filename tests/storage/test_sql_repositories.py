"""Events, evidence, ownership attempts, users, staff and dialog drafts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import text

from cases.model import ActorKind, CaseStatus, EvidenceKind, EvidenceStatus
from cases.ports import HistoryConflictError, StoredEvidence, UserProfile
from tests.storage.conftest import Database
from tests.storage.factories import T0, case, event, evidence_file, order


@pytest.fixture
async def filed(db: Database) -> Database:
    async with db.uow() as uow:
        await uow.orders.upsert(order("KM1"))
        await uow.cases.add(case("TS1", "KM1"))
        await uow.commit()
    return db


async def test_events_are_listed_in_sequence_and_last_is_the_newest(filed: Database) -> None:
    second = event(
        "TS1",
        2,
        actor_kind=ActorKind.AGENT,
        actor_id=None,
        action="request_evidence",
        from_status=CaseStatus.IN_REVIEW,
        to_status=CaseStatus.AWAITING_EVIDENCE,
        note="请补充付款截图",
        amount=3000,
        prev_hash="a" * 64,
        hash="b" * 64,
        extra={"deadline": "2026-11-24T00:00:00+00:00"},
    )
    async with filed.uow() as uow:
        assert await uow.events.last("TS1") is None
        await uow.events.append(event("TS1", 1))
        await uow.events.append(second)
        await uow.commit()
    async with filed.uow() as uow:
        assert await uow.events.list("TS1") == [event("TS1", 1), second]
        assert await uow.events.last("TS1") == second


async def test_two_events_with_the_same_sequence_number_cannot_both_be_stored(
    filed: Database,
) -> None:
    async with filed.uow() as uow:
        await uow.events.append(event("TS1", 1))
        with pytest.raises(HistoryConflictError):
            await uow.events.append(event("TS1", 1, note="rewritten"))


async def test_an_event_that_skips_a_sequence_number_is_refused(filed: Database) -> None:
    async with filed.uow() as uow:
        with pytest.raises(HistoryConflictError):
            await uow.events.append(event("TS1", 2))
        assert await uow.events.last("TS1") is None


async def test_each_event_moves_the_head_the_case_row_records(filed: Database) -> None:
    async with filed.uow() as uow:
        await uow.events.append(event("TS1", 1, hash="c" * 64))
        await uow.commit()
    async with filed.sessions() as session:
        row = (await session.execute(text("SELECT event_count, head_hash FROM cases"))).one()
    assert tuple(row) == (1, "c" * 64)


async def test_evidence_is_recorded_once_per_file_and_marked_stored(filed: Database) -> None:
    document = evidence_file(
        "u2", kind=EvidenceKind.DOCUMENT, mime_type="application/pdf", file_name="聊天记录.pdf"
    )
    async with filed.uow() as uow:
        photo_id = await uow.evidence.add("TS1", evidence_file("u1"), T0)
        document_id = await uow.evidence.add("TS1", document, T0 + timedelta(minutes=1))
        # Telegram's file_unique_id is the same when the buyer sends the photo again.
        again = replace(evidence_file("u1"), file_id="another-file-id")
        assert await uow.evidence.add("TS1", again, T0 + timedelta(minutes=2)) == photo_id
        await uow.evidence.mark_stored(document_id, "f" * 64, "/evidence/ff/" + "f" * 64)
        await uow.commit()
    async with filed.uow() as uow:
        listed = await uow.evidence.list("TS1")
        assert [item.id for item in listed] == [photo_id, document_id]
        assert listed[1] == StoredEvidence(
            id=document_id,
            case_no="TS1",
            file=document,
            received_at=T0 + timedelta(minutes=1),
            sha256="f" * 64,
            stored_path="/evidence/ff/" + "f" * 64,
            status=EvidenceStatus.STORED,
        )
        assert await uow.evidence.get(photo_id) == listed[0]
        assert (listed[0].sha256, listed[0].status) == (None, EvidenceStatus.RECEIVED)
        assert await uow.evidence.get(999_999) is None


async def test_evidence_can_be_marked_rejected_or_failed(filed: Database) -> None:
    async with filed.uow() as uow:
        rejected = await uow.evidence.add("TS1", evidence_file("u1"), T0)
        failed = await uow.evidence.add("TS1", evidence_file("u2"), T0)
        await uow.evidence.set_status(rejected, EvidenceStatus.REJECTED)
        await uow.evidence.set_status(failed, EvidenceStatus.FAILED)
        await uow.commit()
    async with filed.uow() as uow:
        statuses = [item.status for item in await uow.evidence.list("TS1")]
    assert statuses == [EvidenceStatus.REJECTED, EvidenceStatus.FAILED]


async def test_stored_content_is_in_use_until_every_file_with_it_is_removed(
    filed: Database,
) -> None:
    digest = "c" * 64
    async with filed.uow() as uow:
        first = await uow.evidence.add("TS1", evidence_file("u1"), T0)
        second = await uow.evidence.add("TS1", evidence_file("u2"), T0)
        assert not await uow.evidence.in_use(digest)
        await uow.evidence.mark_stored(first, digest, "/evidence/cc/" + digest)
        await uow.evidence.mark_stored(second, digest, "/evidence/cc/" + digest)
        await uow.evidence.set_status(first, EvidenceStatus.REMOVED)
        assert await uow.evidence.in_use(digest)
        await uow.evidence.set_status(second, EvidenceStatus.REMOVED)
        assert not await uow.evidence.in_use(digest)


async def test_ownership_failures_are_counted_per_user_and_order_and_cleared(
    db: Database,
) -> None:
    async with db.uow() as uow:
        for minutes in (0, 10, 20):
            await uow.ownership.record_failure(5, "KM1", T0 + timedelta(minutes=minutes))
        await uow.ownership.record_failure(5, "KM2", T0)
        await uow.ownership.record_failure(6, "KM1", T0)
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.ownership.failures_since(5, "KM1", T0 + timedelta(minutes=10)) == 2
        latest = await uow.ownership.latest_failures(5, "KM1", 2)
        assert latest == [T0 + timedelta(minutes=20), T0 + timedelta(minutes=10)]
        assert all(at.tzinfo is UTC for at in latest)
        await uow.ownership.clear(5, "KM1")
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.ownership.failures_since(5, "KM1", T0) == 0
        assert await uow.ownership.failures_since(5, "KM2", T0) == 1
        assert await uow.ownership.failures_since(6, "KM1", T0) == 1


async def test_touching_a_user_refreshes_telegram_data_and_keeps_the_chosen_locale(
    db: Database,
) -> None:
    big_id = 8_123_456_789
    async with db.uow() as uow:
        assert await uow.users.get(big_id) is None
        created = await uow.users.touch(big_id, "zh-hans", "lihua", T0)
        assert created == UserProfile(big_id, None, "zh-hans", "lihua")
        await uow.users.set_locale(big_id, "en")
        refreshed = await uow.users.touch(big_id, "en-US", None, T0 + timedelta(days=1))
        assert refreshed == UserProfile(big_id, "en", "en-US", None)
        await uow.users.set_locale(1, "en")  # never seen: nothing to update
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.users.get(big_id) == UserProfile(big_id, "en", "en-US", None)
        assert await uow.users.get(1) is None


async def test_the_user_just_touched_is_read_without_a_statement(db: Database) -> None:
    statements: list[str] = []

    def note(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        statements.append(sql)

    sa_event.listen(db.engine.sync_engine, "before_cursor_execute", note)
    try:
        async with db.uow() as uow:
            touched = await uow.users.touch(77, "zh-hans", "lihua", T0)
            before = len(statements)
            assert await uow.users.get(77) == touched
            assert len(statements) == before
            await uow.users.set_locale(77, "en")  # changes the row: read again
            assert await uow.users.get(77) == replace(touched, locale="en")
            await uow.users.touch(77, "zh-hans", "lihua", T0)
            await uow.personal_data.forget_user(77, T0)
            assert await uow.users.get(77) is None
            await uow.users.touch(78, "zh-hans", None, T0)
            await uow.commit()
            async with db.uow() as other:
                await other.users.set_locale(78, "en")
                await other.commit()
            # A new transaction: the row is read again, with what was committed meanwhile.
            changed = await uow.users.get(78)
            assert changed is not None
            assert changed.locale == "en"
    finally:
        sa_event.remove(db.engine.sync_engine, "before_cursor_execute", note)


async def test_staff_roles_are_set_and_changed(db: Database) -> None:
    async with db.uow() as uow:
        assert await uow.staff.role_of(11) is None
        await uow.staff.set_role(11, "agent", T0)
        await uow.staff.set_role(11, "arbitrator", T0 + timedelta(days=1))
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.staff.role_of(11) == "arbitrator"


async def test_dialog_drafts_are_saved_replaced_and_deleted(db: Database) -> None:
    async with db.uow() as uow:
        assert await uow.drafts.load(3) is None
        await uow.drafts.save(3, '{"step": "reason"}', T0)
        await uow.drafts.save(3, '{"step": "evidence", "text": "卡密无效"}', T0)
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.drafts.load(3) == '{"step": "evidence", "text": "卡密无效"}'
        await uow.drafts.delete(3)
        await uow.drafts.delete(4)
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.drafts.load(3) is None
