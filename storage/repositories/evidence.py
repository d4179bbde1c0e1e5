"""Evidence files of a case: Telegram's description first, the stored copy once downloaded."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cases.model import EvidenceFile, EvidenceKind, EvidenceStatus
from cases.ports import StoredEvidence
from storage.models import EvidenceRow
from storage.repositories._direct import DirectStatement
from storage.repositories._sql import insert_for, table_of

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
        of_file = {"case": case_no, "unique_id": file.file_unique_id}
        row = {**of_file, **_file_values(file), "kind": file.kind.value, "at": received_at}
        inserted = (await _ADD.run(self._session, row)).rows
        if inserted:
            return int(inserted[0].id)
        (existing,) = (await _ID_OF.run(self._session, of_file)).rows
        return int(existing.id)

    async def replace_failed(
        self, case_no: str, file: EvidenceFile, received_at: datetime
    ) -> int | None:
        params = {"case": case_no, "unique_id": file.file_unique_id, "at": received_at}
        new = {f"new_{name}": value for name, value in _file_values(file).items()}
        replaced = (await _REPLACE_FAILED.run(self._session, {**params, **new})).rows
        return int(replaced[0].id) if replaced else None

    async def get(self, evidence_id: int) -> StoredEvidence | None:
        stmt = select(EvidenceRow.__table__).where(EvidenceRow.id == evidence_id)
        row = (await self._session.execute(stmt)).first()
        return None if row is None else evidence_from_row(row)

    async def list(self, case_no: str) -> Sequence[StoredEvidence]:
        rows = (await _LIST.run(self._session, {"case": case_no})).rows
        return [evidence_from_row(row) for row in rows]

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


# What Telegram tells of a file: recorded with it, and again when a failed one is sent anew.
_FILE_COLUMNS = ("file_id", "mime_type", "size", "file_name")


def _file_values(file: EvidenceFile) -> dict[str, Any]:
    return {name: getattr(file, name) for name in _FILE_COLUMNS}


def _build_add(dialect: str) -> Any:
    table = EvidenceRow.__table__
    return (
        insert_for(dialect, EvidenceRow)
        .values(
            case_no=bindparam("case"),
            kind=bindparam("kind"),
            file_unique_id=bindparam("unique_id"),
            received_at=bindparam("at"),
            **{name: bindparam(name) for name in _FILE_COLUMNS},
        )
        .on_conflict_do_nothing(index_elements=[table.c.case_no, table.c.file_unique_id])
        .returning(table.c.id)
    )


_OF_FILE = (
    EvidenceRow.case_no == bindparam("case"),
    EvidenceRow.file_unique_id == bindparam("unique_id"),
)
# Each file a buyer sends, and every case change's audit digest and card: run directly
# (_direct.py).
_ADD = DirectStatement(_build_add)
_ID_OF = DirectStatement.of(select(EvidenceRow.id).where(*_OF_FILE))
_REPLACE_FAILED = DirectStatement.of(
    update(table_of(EvidenceRow))
    .where(*_OF_FILE, EvidenceRow.status == EvidenceStatus.FAILED.value)
    .values(
        received_at=bindparam("at"),
        status=EvidenceStatus.RECEIVED.value,
        **{name: bindparam(f"new_{name}") for name in _FILE_COLUMNS},
    )
    .returning(EvidenceRow.__table__.c.id)
)
_LIST = DirectStatement.of(
    select(EvidenceRow.__table__)
    .where(EvidenceRow.case_no == bindparam("case"))
    .order_by(EvidenceRow.id)
)
