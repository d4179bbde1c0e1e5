"""Screen readings (cases/screen_reading.py): what was read in each evidence image."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cases.model import EvidenceStatus
from cases.screen_reading import Matches, ReadingStatus, ScreenReading
from storage.models import EvidenceRow, ScreenReadingRow
from storage.repositories._sql import dialect_insert
from storage.repositories.evidence import IS_IMAGE


class SqlScreenReadingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def start(self, evidence_id: int, case_no: str, at: datetime) -> int:
        # One statement, so the count survives whatever happens to the read after the commit.
        table = ScreenReadingRow.__table__.c
        stmt = dialect_insert(self._session, ScreenReadingRow).values(
            evidence_id=evidence_id,
            case_no=case_no,
            status=ReadingStatus.READING.value,
            attempts=1,
            started_at=at,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.evidence_id],
            set_={
                "status": ReadingStatus.READING.value,
                "attempts": table.attempts + 1,
                "started_at": at,
            },
        ).returning(table.attempts)
        return int((await self._session.execute(stmt)).scalar_one())

    async def finish(self, reading: ScreenReading) -> None:
        await self._session.execute(
            update(ScreenReadingRow)
            .where(ScreenReadingRow.evidence_id == reading.evidence_id)
            .values(
                status=reading.status.value,
                text=reading.text,
                matches=reading.matches.to_json(),
                error=reading.error,
                read_at=reading.read_at,
                duration_ms=reading.duration_ms,
            )
            .execution_options(synchronize_session=False)
        )

    async def for_case(self, case_no: str) -> Sequence[ScreenReading]:
        stmt = (
            select(ScreenReadingRow.__table__)
            .where(ScreenReadingRow.case_no == case_no)
            .order_by(ScreenReadingRow.evidence_id)
        )
        return [_reading(row) for row in await self._session.execute(stmt)]

    async def unread_images(self, after_id: int, limit: int) -> Sequence[tuple[int, str]]:
        stmt = (
            select(EvidenceRow.id, EvidenceRow.sha256)
            .outerjoin(ScreenReadingRow, ScreenReadingRow.evidence_id == EvidenceRow.id)
            .where(
                EvidenceRow.id > after_id,
                EvidenceRow.status == EvidenceStatus.STORED.value,
                EvidenceRow.sha256.is_not(None),
                IS_IMAGE,
                ScreenReadingRow.evidence_id.is_(None),
            )
            .order_by(EvidenceRow.id)
            .limit(limit)
        )
        return [(int(row.id), str(row.sha256)) for row in await self._session.execute(stmt)]


def _reading(row: Row[Any]) -> ScreenReading:
    return ScreenReading(
        evidence_id=row.evidence_id,
        case_no=row.case_no,
        status=ReadingStatus(row.status),
        attempts=row.attempts,
        text=row.text,
        matches=Matches.from_json(row.matches),
        error=row.error,
        started_at=row.started_at,
        read_at=row.read_at,
        duration_ms=row.duration_ms,
    )
