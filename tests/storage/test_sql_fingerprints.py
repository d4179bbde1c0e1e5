"""Fingerprints and matches on SQLite and PostgreSQL: band lookups, both-way matches, erasure."""

from __future__ import annotations

from sqlalchemy import func, select

from cases.fingerprints import EvidenceMatch, Fingerprint, MatchKind
from cases.model import EvidenceKind, EvidenceStatus
from storage.models import EvidenceFingerprintRow, EvidenceMatchRow
from tests.storage.conftest import Database
from tests.storage.factories import T0, case, evidence_file, order

OTHER_BUYER = 7_000_000_002
HIGH_HASH = 0xFEDC_BA98_7654_3210  # over 2**63: stored signed, read back unsigned


async def _two_cases(db: Database) -> tuple[int, int]:
    async with db.uow() as uow:
        await uow.orders.upsert(order("KM1"))
        await uow.orders.upsert(order("KM2"))
        await uow.cases.add(case("TS1", "KM1"))
        await uow.cases.add(case("TS2", "KM2", buyer_id=OTHER_BUYER))
        first = await uow.evidence.add("TS1", evidence_file("U1"), T0)
        second = await uow.evidence.add("TS2", evidence_file("U2"), T0)
        await uow.evidence.mark_stored(first, "a" * 64, "/e/a")
        await uow.evidence.mark_stored(second, "a" * 64, "/e/a")
        await uow.commit()
    return first, second


async def test_a_hash_sharing_one_band_is_a_candidate_and_one_sharing_none_is_not(
    db: Database,
) -> None:
    first, second = await _two_cases(db)
    async with db.uow() as uow:
        await uow.fingerprints.put(first, Fingerprint(HIGH_HASH, b"\x01\x02"), T0)
        await uow.commit()
    async with db.uow() as uow:
        one_band = await uow.fingerprints.near(second, HIGH_HASH ^ 0x0001_0001_0001, 6, 10)
        no_band = await uow.fingerprints.near(second, HIGH_HASH ^ 0x0001_0001_0001_0001, 6, 10)
        too_far = await uow.fingerprints.near(second, HIGH_HASH ^ 0xFF_00FF_00FF, 6, 10)
        itself = await uow.fingerprints.near(first, HIGH_HASH, 6, 10)
    assert [(c.evidence_id, c.case_no, c.buyer_id) for c in one_band] == [
        (first, "TS1", 7_000_000_001)
    ]
    assert one_band[0].fingerprint == Fingerprint(HIGH_HASH, b"\x01\x02")
    assert no_band == []
    assert too_far == []  # shares the top band, but 24 bits off
    assert itself == []


async def test_same_content_names_the_other_files_with_that_sha256(db: Database) -> None:
    first, second = await _two_cases(db)
    async with db.uow() as uow:
        same = await uow.fingerprints.same_content(second, "a" * 64)
        none = await uow.fingerprints.same_content(second, "b" * 64)
    assert [(c.evidence_id, c.case_no) for c in same] == [(first, "TS1")]
    assert none == []


async def test_a_match_is_read_from_either_case_once_and_not_after_removal(db: Database) -> None:
    first, second = await _two_cases(db)
    match = EvidenceMatch(second, first, "TS1", MatchKind.SAME, same_buyer=False)
    async with db.uow() as uow:
        assert await uow.fingerprints.add_match(match, T0)
        assert not await uow.fingerprints.add_match(match, T0)
        await uow.commit()
    async with db.uow() as uow:
        from_second = await uow.fingerprints.matches("TS2")
        from_first = await uow.fingerprints.matches("TS1")
    assert [(m.evidence_id, m.other_case_no, m.kind) for m in from_second] == [
        (second, "TS1", MatchKind.SAME)
    ]
    assert [(m.evidence_id, m.other_case_no) for m in from_first] == [(first, "TS2")]
    async with db.uow() as uow:
        await uow.evidence.set_status(first, EvidenceStatus.REMOVED)
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.fingerprints.matches("TS2") == []
        assert await uow.fingerprints.near(second, HIGH_HASH, 6, 10) == []


async def test_the_backfill_lists_stored_images_without_a_fingerprint_by_id(
    db: Database,
) -> None:
    first, second = await _two_cases(db)
    async with db.uow() as uow:
        video = await uow.evidence.add(
            "TS1", evidence_file("V1", kind=EvidenceKind.VIDEO, mime_type="video/mp4"), T0
        )
        await uow.evidence.mark_stored(video, "c" * 64, "/e/c")
        await uow.fingerprints.put(first, None, T0)  # read once: no image
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.fingerprints.unfingerprinted_images(0, 10) == [second]
        assert await uow.fingerprints.unfingerprinted_images(second, 10) == []


async def test_removing_a_cases_personal_data_drops_its_fingerprints_and_matches(
    db: Database,
) -> None:
    first, second = await _two_cases(db)
    async with db.uow() as uow:
        await uow.fingerprints.put(first, Fingerprint(HIGH_HASH, b"\x01"), T0)
        await uow.fingerprints.put(second, Fingerprint(HIGH_HASH, b"\x01"), T0)
        match = EvidenceMatch(second, first, "TS1", MatchKind.SAME, same_buyer=False)
        await uow.fingerprints.add_match(match, T0)
        await uow.personal_data.anonymise_case("TS1", T0)
        await uow.commit()
    async with db.engine.connect() as connection:
        kept = await connection.scalar(
            select(func.count()).select_from(EvidenceFingerprintRow)
        )
        matches = await connection.scalar(select(func.count()).select_from(EvidenceMatchRow))
    assert (kept, matches) == (1, 0)  # the other buyer's file keeps its own fingerprint
