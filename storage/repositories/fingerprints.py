"""Image fingerprints of evidence files and the matches found between cases' files."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from cases.fingerprints import (
    HASH_BITS,
    Candidate,
    EvidenceMatch,
    Fingerprint,
    MatchKind,
    bands,
    hamming,
)
from cases.model import EvidenceStatus
from storage.models import CaseRow, EvidenceFingerprintRow, EvidenceMatchRow, EvidenceRow
from storage.repositories._sql import dialect_insert
from storage.repositories.evidence import IS_IMAGE

_SIGN = 1 << (HASH_BITS - 1)
_BAND_COLUMNS = (
    EvidenceFingerprintRow.band0,
    EvidenceFingerprintRow.band1,
    EvidenceFingerprintRow.band2,
    EvidenceFingerprintRow.band3,
)


def to_signed(phash: int) -> int:
    return phash - (1 << HASH_BITS) if phash >= _SIGN else phash


def to_unsigned(stored: int) -> int:
    return stored + (1 << HASH_BITS) if stored < 0 else stored


class SqlFingerprintRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def put(self, evidence_id: int, fingerprint: Fingerprint | None, at: datetime) -> None:
        values: dict[str, Any] = {"evidence_id": evidence_id, "computed_at": at}
        if fingerprint is not None:
            values["phash"] = to_signed(fingerprint.phash)
            values["detail"] = fingerprint.detail
            for i, band in enumerate(bands(fingerprint.phash)):
                values[f"band{i}"] = band
        stmt = (
            dialect_insert(self._session, EvidenceFingerprintRow)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["evidence_id"])
        )
        await self._session.execute(stmt)

    async def near(
        self, evidence_id: int, phash: int, max_distance: int, limit: int
    ) -> list[Candidate]:
        shares_a_band = or_(
            *(column == band for column, band in zip(_BAND_COLUMNS, bands(phash), strict=True))
        )
        # First only the hashes of the rows sharing a band (a few dozen per million stored at
        # random, 16 bytes each), kept when within max_distance bits; then the rest of those.
        sharing = select(EvidenceFingerprintRow.evidence_id, EvidenceFingerprintRow.phash).where(
            shares_a_band, EvidenceFingerprintRow.evidence_id != evidence_id
        )
        close = sorted(
            (
                row.evidence_id
                for row in await self._session.execute(sharing)
                if hamming(to_unsigned(row.phash), phash) <= max_distance
            ),
            reverse=True,
        )
        if not close:
            return []
        stmt = (
            select(
                EvidenceFingerprintRow.evidence_id,
                EvidenceFingerprintRow.phash,
                EvidenceFingerprintRow.detail,
                EvidenceRow.case_no,
                CaseRow.buyer_id,
            )
            .join(EvidenceRow, EvidenceRow.id == EvidenceFingerprintRow.evidence_id)
            .join(CaseRow, CaseRow.case_no == EvidenceRow.case_no)
            .where(
                EvidenceFingerprintRow.evidence_id.in_(close[:limit]),
                EvidenceRow.status == EvidenceStatus.STORED.value,
            )
            .order_by(EvidenceFingerprintRow.evidence_id.desc())
        )
        return [_candidate(row) for row in await self._session.execute(stmt)]

    async def same_content(self, evidence_id: int, sha256: str) -> list[Candidate]:
        stmt = (
            select(EvidenceRow.id.label("evidence_id"), EvidenceRow.case_no, CaseRow.buyer_id)
            .join(CaseRow, CaseRow.case_no == EvidenceRow.case_no)
            .where(
                EvidenceRow.sha256 == sha256,
                EvidenceRow.id != evidence_id,
                EvidenceRow.status == EvidenceStatus.STORED.value,
            )
            .order_by(EvidenceRow.id)
        )
        return [
            Candidate(row.evidence_id, row.case_no, row.buyer_id, None)
            for row in await self._session.execute(stmt)
        ]

    async def add_match(self, match: EvidenceMatch, at: datetime) -> bool:
        added = False
        for mine, theirs in (
            (match.evidence_id, match.other_evidence_id),
            (match.other_evidence_id, match.evidence_id),
        ):
            stmt = (
                dialect_insert(self._session, EvidenceMatchRow)
                .values(
                    evidence_id=mine,
                    other_evidence_id=theirs,
                    kind=match.kind.value,
                    same_buyer=match.same_buyer,
                    found_at=at,
                )
                .on_conflict_do_nothing(index_elements=["evidence_id", "other_evidence_id"])
            )
            result = await self._session.execute(stmt)
            added = added or bool(result.rowcount)  # type: ignore[attr-defined]
        return added

    async def matches(self, case_no: str) -> list[EvidenceMatch]:
        mine = aliased(EvidenceRow)
        theirs = aliased(EvidenceRow)
        stmt = (
            select(
                EvidenceMatchRow.evidence_id,
                EvidenceMatchRow.other_evidence_id,
                EvidenceMatchRow.kind,
                EvidenceMatchRow.same_buyer,
                theirs.case_no.label("other_case_no"),
            )
            .join(mine, mine.id == EvidenceMatchRow.evidence_id)
            .join(theirs, theirs.id == EvidenceMatchRow.other_evidence_id)
            .where(
                mine.case_no == case_no,
                # A file removed on its buyer's request (or this case's own) is no match.
                mine.status == EvidenceStatus.STORED.value,
                theirs.status == EvidenceStatus.STORED.value,
                theirs.case_no != case_no,
            )
            .order_by(EvidenceMatchRow.evidence_id, EvidenceMatchRow.other_evidence_id)
        )
        return [
            EvidenceMatch(
                evidence_id=row.evidence_id,
                other_evidence_id=row.other_evidence_id,
                other_case_no=row.other_case_no,
                kind=MatchKind(row.kind),
                same_buyer=row.same_buyer,
            )
            for row in await self._session.execute(stmt)
        ]

    async def unfingerprinted_images(self, after_id: int, limit: int) -> list[int]:
        """Stored photos and image documents past `after_id` with no fingerprint row yet, by
        id: what the backfill schedules (images stored before fingerprints existed)."""
        stmt = (
            select(EvidenceRow.id)
            .outerjoin(
                EvidenceFingerprintRow, EvidenceFingerprintRow.evidence_id == EvidenceRow.id
            )
            .where(
                EvidenceRow.id > after_id,
                EvidenceRow.status == EvidenceStatus.STORED.value,
                IS_IMAGE,
                EvidenceFingerprintRow.evidence_id.is_(None),
            )
            .order_by(EvidenceRow.id)
            .limit(limit)
        )
        return [int(i) for i in (await self._session.execute(stmt)).scalars()]


def _candidate(row: Row[int, int | None, bytes | None, str, int]) -> Candidate:
    fingerprint = None
    if row.phash is not None and row.detail is not None:
        fingerprint = Fingerprint(phash=to_unsigned(row.phash), detail=bytes(row.detail))
    return Candidate(row.evidence_id, row.case_no, row.buyer_id, fingerprint)
