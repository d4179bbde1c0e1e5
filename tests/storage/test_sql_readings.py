"""Screen readings: each read start counted before the read, the outcome kept per image, the
images never read found for the backfill, and the text gone with the buyer's personal data."""

from __future__ import annotations

from datetime import timedelta

from cases.model import EvidenceKind
from cases.screen_reading import Matches, ReadingStatus, ScreenReading
from tests.storage.conftest import Database
from tests.storage.factories import T0, case, evidence_file, order

SHA = "ab" * 32


async def _case_with_files(db: Database) -> list[int]:
    """A case with a stored photo, a stored PNG document, a stored PDF and a photo not stored."""
    async with db.uow() as uow:
        await uow.orders.upsert(order("KM1", card_code="X7Q2-O0P9-ZZ31"))
        await uow.cases.add(case("TS1", "KM1"))
        files = [
            evidence_file("P1"),
            evidence_file("D1", kind=EvidenceKind.DOCUMENT, mime_type="image/png"),
            evidence_file("D2", kind=EvidenceKind.DOCUMENT, mime_type="application/pdf"),
            evidence_file("P2"),
        ]
        ids = [await uow.evidence.add("TS1", file, T0) for file in files]
        for evidence_id in ids[:3]:
            await uow.evidence.mark_stored(evidence_id, SHA, f"/ev/ab/{SHA}")
        await uow.commit()
    return ids


async def test_each_start_is_counted_and_the_outcome_is_kept(db: Database) -> None:
    photo, *_ = await _case_with_files(db)
    async with db.uow() as uow:
        assert await uow.readings.start(photo, "TS1", T0) == 1
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.readings.start(photo, "TS1", T0 + timedelta(minutes=1)) == 2
        done = ScreenReading(
            photo,
            "TS1",
            ReadingStatus.DONE,
            text="卡密：X7Q2-O0P9-ZZ31\n已被使用",
            matches=Matches(card_code=True, failure_texts=("已被使用",)),
            read_at=T0 + timedelta(minutes=2),
            duration_ms=1834,
        )
        await uow.readings.finish(done)
        await uow.commit()
    async with db.uow() as uow:
        [kept] = await uow.readings.for_case("TS1")
        assert await uow.readings.for_case("TS2") == []
    assert kept.status is ReadingStatus.DONE
    assert kept.attempts == 2
    assert (kept.text, kept.matches, kept.duration_ms) == (done.text, done.matches, 1834)
    assert kept.started_at == T0 + timedelta(minutes=1)
    assert kept.read_at == T0 + timedelta(minutes=2)


async def test_stored_images_without_a_reading_are_found_for_the_backfill(db: Database) -> None:
    photo, png, _pdf, _unstored = await _case_with_files(db)
    async with db.uow() as uow:
        assert await uow.readings.unread_images(0, 10) == [(photo, SHA), (png, SHA)]
        assert await uow.readings.unread_images(photo, 10) == [(png, SHA)]
        assert await uow.readings.unread_images(0, 1) == [(photo, SHA)]
        await uow.readings.start(photo, "TS1", T0)
        assert await uow.readings.unread_images(0, 10) == [(png, SHA)]


async def test_the_order_keeps_its_card_code(db: Database) -> None:
    await _case_with_files(db)
    async with db.uow() as uow:
        kept = await uow.orders.get("KM1")
        assert kept is not None
        assert kept.card_code == "X7Q2-O0P9-ZZ31"
        assert not await uow.orders.upsert(order("KM1", card_code="X7Q2-O0P9-ZZ31"))
        assert await uow.orders.upsert(order("KM1"))


async def test_removing_the_buyers_data_blanks_what_was_read_but_keeps_the_matches(
    db: Database,
) -> None:
    photo, *_ = await _case_with_files(db)
    async with db.uow() as uow:
        await uow.readings.start(photo, "TS1", T0)
        await uow.readings.finish(
            ScreenReading(
                photo, "TS1", ReadingStatus.DONE, text="李华 138 0000 0000",
                matches=Matches(order_no=True), read_at=T0,
            )
        )
        await uow.personal_data.anonymise_case("TS1", T0 + timedelta(days=9))
        await uow.commit()
    async with db.uow() as uow:
        [kept] = await uow.readings.for_case("TS1")
    assert kept.text == ""
    assert kept.matches == Matches(order_no=True)
