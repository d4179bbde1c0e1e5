"""Removing a buyer's personal data on request: the row-level work behind cases/erasure.py."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cases.audit import new_audit_salt
from cases.model import EvidenceStatus
from cases.ports import AnonymisedCase
from storage.models import (
    BlockedChatRow,
    CaseRatingRow,
    CaseRow,
    DataErasureRow,
    EvidenceFingerprintRow,
    EvidenceMatchRow,
    EvidenceRow,
    InboxRow,
    OutboxRow,
    OwnershipAttemptRow,
    ScreenReadingRow,
    UserRow,
)
from storage.repositories.users import forget_touched

_REMOVED = EvidenceStatus.REMOVED.value


class SqlPersonalDataRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def anonymise_case(self, case_no: str, at: datetime) -> AnonymisedCase:
        rows = (
            await self._session.execute(
                select(EvidenceRow.id, EvidenceRow.sha256).where(
                    EvidenceRow.case_no == case_no, EvidenceRow.status != _REMOVED
                )
            )
        ).all()
        for evidence_id, _ in rows:
            # file_unique_id is part of a unique key per case, so each gets its own stand-in.
            await self._session.execute(
                update(EvidenceRow)
                .where(EvidenceRow.id == evidence_id)
                .values(
                    status=_REMOVED,
                    file_id="",
                    file_unique_id=f"removed-{evidence_id}",
                    file_name=None,
                    stored_path=None,
                )
                .execution_options(synchronize_session=False)
            )
        # What a screenshot showed is the buyer's as much as the picture; what it matched stays.
        await self._session.execute(
            update(ScreenReadingRow)
            .where(ScreenReadingRow.case_no == case_no)
            .values(text="")
            .execution_options(synchronize_session=False)
        )
        removed = [evidence_id for evidence_id, _ in rows]
        if removed:
            # A fingerprint keeps a small picture of the file: it goes with the file.
            await self._session.execute(
                delete(EvidenceMatchRow).where(
                    or_(
                        EvidenceMatchRow.evidence_id.in_(removed),
                        EvidenceMatchRow.other_evidence_id.in_(removed),
                    )
                )
            )
            await self._session.execute(
                delete(EvidenceFingerprintRow).where(
                    EvidenceFingerprintRow.evidence_id.in_(removed)
                )
            )
        await self._session.execute(
            update(CaseRow)
            .where(CaseRow.case_no == case_no)
            # A new salt: the digests sealed before cannot confirm a guess at what went.
            .values(description="", personal_data_removed_at=at, audit_salt=new_audit_salt())
            .execution_options(synchronize_session=False)
        )
        digests = sorted({sha for _, sha in rows if sha is not None})
        return AnonymisedCase(evidence_removed=len(rows), digests=tuple(digests))

    async def forget_user(self, user_id: int, keep_attempts_since: datetime) -> int:
        session = self._session
        forget_touched(session)
        await session.execute(delete(UserRow).where(UserRow.user_id == user_id))
        attempts = OwnershipAttemptRow
        still_counting = select(attempts.order_no).where(
            attempts.user_id == user_id, attempts.at >= keep_attempts_since
        )
        await session.execute(
            delete(attempts)
            .where(attempts.user_id == user_id, attempts.order_no.not_in(still_counting))
            .execution_options(synchronize_session=False)
        )
        await session.execute(delete(BlockedChatRow).where(BlockedChatRow.chat_id == user_id))
        # Stored updates hold the raw messages (texts, names). Handled ones go now; the one
        # being handled, and any still queued, go with the retention clean-up.
        await session.execute(
            delete(InboxRow).where(InboxRow.chat_id == user_id, InboxRow.done_at.is_not(None))
        )
        # Copies of what the bot already sent the user (their own texts quoted back). Pending
        # ones stay: among them is the answer to this very request.
        delivered = or_(OutboxRow.sent_at.is_not(None), OutboxRow.failed_at.is_not(None))
        await session.execute(
            delete(OutboxRow)
            .where(OutboxRow.chat_id == user_id, delivered)
            .execution_options(synchronize_session=False)
        )
        # Rating comments are the buyer's own words, open cases or not; the score stays.
        await session.execute(
            update(CaseRatingRow)
            .where(
                CaseRatingRow.case_no.in_(
                    select(CaseRow.case_no).where(CaseRow.buyer_id == user_id)
                ),
                CaseRatingRow.comment.is_not(None),
            )
            .values(comment=None)
            .execution_options(synchronize_session=False)
        )
        kept = await session.execute(
            select(func.count()).select_from(attempts).where(attempts.user_id == user_id)
        )
        return int(kept.scalar_one())

    async def record_erasure(
        self, at: datetime, cases_anonymised: int, cases_kept: int, evidence_removed: int
    ) -> None:
        await self._session.execute(
            insert(DataErasureRow).values(
                at=at,
                cases_anonymised=cases_anonymised,
                cases_kept=cases_kept,
                evidence_removed=evidence_removed,
            )
        )
