"""Evidence files of a case: Telegram's description first, the stored copy once downloaded."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cases.model import EvidenceFile, EvidenceKind, EvidenceStatus
from cases.ports import StoredEvidence
from storage.models import EvidenceRow
from storage.repositories._sql import dialect_insert

# Photos, and documents that say they are images (cases.fingerprints.wants_fingerprint in SQL).
IS_IMAGE = or_(
    EvidenceRow.kind == EvidenceKind.PHOTO.value,
    (EvidenceRow.kind == EvidenceKind.DOCUMENT.value) & EvidenceRow.mime_type.startswith("image/"),
)


class SqlEvidenceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, case_no: str, file: EvidenceFile, received_at: datetime) -> int:
        """Records the file and returns its id; the same file sent again keeps its first id."""
        table = EvidenceRow.__table__.c
        stmt = (
            dialect_insert(self._session, EvidenceRow)
            .values(
                case_no=case_no,
                kind=file.kind.value,
                file_id=file.file_id,
                file_unique_id=file.file_unique_id,
                mime_type=file.mime_type,
                size=file.size,
                file_name=file.file_name,
                received_at=received_at,
            )
            .on_conflict_do_nothing(index_elements=[table.case_no, table.file_unique_id])
            .returning(table.id)
        )
        inserted = (await self._session.execute(stmt)).scalar_one_or_none()
        if inserted is not None:
            return int(inserted)
        existing = await self._session.execute(
            select(EvidenceRow.id).where(
                EvidenceRow.case_no == case_no, EvidenceRow.file_unique_id == file.file_unique_id
            )
        )
        return existing.scalar_one()

    async def replace_failed(
        self, case_no: str, file: EvidenceFile, received_at: datetime
    ) -> int | None:
        stmt = (
            update(EvidenceRow)
            .where(
                EvidenceRow.case_no == case_no,
                EvidenceRow.file_unique_id == file.file_unique_id,
                EvidenceRow.status == EvidenceStatus.FAILED.value,
            )
            .values(
                file_id=file.file_id,
                mime_type=file.mime_type,
                size=file.size,
                file_name=file.file_name,
                received_at=received_at,
                status=EvidenceStatus.RECEIVED.value,
            )
            .returning(EvidenceRow.id)
            .execution_options(synchronize_session=False)
        )
        return (await self._session.execute(stmt)).scalar_one_or_none()

    async def get(self, evidence_id: int) -> StoredEvidence | None:
        stmt = select(EvidenceRow.__table__).where(EvidenceRow.id == evidence_id)
        row = (await self._session.execute(stmt)).first()
        return None if row is None else evidence_from_row(row)

    async def list(self, case_no: str) -> Sequence[StoredEvidence]:
        stmt = (
            select(EvidenceRow.__table__)
            .where(EvidenceRow.case_no == case_no)
            .order_by(EvidenceRow.id)
        )
        return [evidence_from_row(row) for row in await self._session.execute(stmt)]

    async def mark_stored(self, evidence_id: int, sha256: str, stored_path: str) -> None:
        await self._session.execute(
            update(EvidenceRow)
            .where(EvidenceRow.id == evidence_id)
            .values(sha256=sha256, stored_path=stored_path, status=EvidenceStatus.STORED.value)
            .execution_options(synchronize_session=False)
        )

    async def set_status(self, evidence_id: int, status: EvidenceStatus) -> None:
        await self._session.execute(
            update(EvidenceRow)
            .where(EvidenceRow.id == evidence_id)
            .values(status=status.value)
            .execution_options(synchronize_session=False)
        )

    async def in_use(self, sha256: str) -> bool:
        stmt = select(EvidenceRow.id).where(
            EvidenceRow.sha256 == sha256, EvidenceRow.status != EvidenceStatus.REMOVED.value
        )
        return (await self._session.execute(stmt.limit(1))).first() is not None


def evidence_from_row(row: Row[Any]) -> StoredEvidence:
    return StoredEvidence(
        id=row.id,
        case_no=row.case_no,
        file=EvidenceFile(
            kind=EvidenceKind(row.kind),
            file_id=row.file_id,
            file_unique_id=row.file_unique_id,
            mime_type=row.mime_type,
            size=row.size,
            file_name=row.file_name,
        ),
        received_at=row.received_at,
        sha256=row.sha256,
        stored_path=row.stored_path,
        status=EvidenceStatus(row.status),
    )
