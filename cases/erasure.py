"""Removing a buyer's personal data on their request, without breaking any case's history.

What goes: the saved dialog (an unfinished draft), the profile (username, language), failed
ownership checks and case look-ups, and, from every *final* case, the free-text description
and the evidence files. Open cases stay as they are: the platform needs them to finish the
process it owes the buyer and the merchant.

Why the hash chain survives (cases/audit.py). An event's hash covers its own fields only:
actor, action, statuses, note, amount and `extra`. The buyer's free text is not among them:
the "submit" event records the order number, the reason code, the refund wish and the number
of evidence files (cases/filing.py), never the description or a file; evidence rows and the
description live in the `evidence` and `cases` tables, outside every event hash. So blanking
the description and deleting the files changes nothing any hash was computed over, and no
event is rewritten. The rows are sealed into the chain by a digest in each event (see
cases/audit.py): the removal event carries the digest of the blanked rows, and the case's salt
is replaced, so older digests say nothing about what was removed. Notes in events are written
by staff and merchants, about the case; they stay.
The removal itself is recorded as a new event appended to each anonymised case (chained like
any other, without personal data) and as a count-only row of its own.

The buyer's Telegram id stays on the case row and in the events: the chain signs it, and the
platform must still be able to tell whose case it was when a refund or a dispute comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cases.audit import seal_event
from cases.history import record
from cases.model import Case, is_open
from cases.ports import UnitOfWork

PERSONAL_DATA_REMOVED = "personal_data_removed"
# The bot's evidence worker claims these and deletes the file once no evidence needs it.
REMOVE_EVIDENCE_FILE_JOB = "remove_evidence_file"


@dataclass(frozen=True)
class ErasureResult:
    anonymised: tuple[str, ...]  # final cases whose description and files were removed now
    kept: tuple[str, ...]  # open cases, kept as they are
    evidence_removed: int
    attempts_kept: int  # failed checks kept because a lock from them may still run


async def erase_personal_data(
    uow: UnitOfWork, now: datetime, user_id: int, keep_attempts_since: datetime
) -> ErasureResult:
    """Removes the buyer's personal data in the caller's transaction (nothing commits here)."""
    cases = await cases_of(uow, user_id)
    kept = tuple(case.case_no for case in cases if is_open(case.status))
    anonymised: list[str] = []
    evidence_removed = 0
    for case in cases:
        if is_open(case.status) or case.personal_data_removed_at is not None:
            continue
        evidence_removed += await _anonymise(uow, case, now)
        anonymised.append(case.case_no)
    await uow.drafts.delete(user_id)
    attempts_kept = await uow.personal_data.forget_user(user_id, keep_attempts_since)
    await uow.personal_data.record_erasure(now, len(anonymised), len(kept), evidence_removed)
    return ErasureResult(tuple(anonymised), kept, evidence_removed, attempts_kept)


async def cases_of(uow: UnitOfWork, user_id: int) -> list[Case]:
    """Every case the user filed, newest first."""
    count = await uow.case_queries.count_for_buyer(user_id)
    return list(await uow.cases.list_for_buyer(user_id, max(count, 1)))


async def _anonymise(uow: UnitOfWork, case: Case, now: datetime) -> int:
    """Blanks one final case, appends its removal event, schedules its files' deletion."""
    removed = await uow.personal_data.anonymise_case(case.case_no, now)
    blanked = await uow.cases.get(case.case_no)
    if blanked is None:
        raise LookupError(case.case_no)
    extra = {"evidence_removed": str(removed.evidence_removed)}
    # Sealed with the blanked rows (and their new salt), so `audit verify` passes after it.
    await record(uow, blanked, seal_event(blanked, now, PERSONAL_DATA_REMOVED, extra))
    for digest in removed.digests:
        # Keyed per case and file: retried work schedules each deletion once.
        await uow.jobs.add(
            REMOVE_EVIDENCE_FILE_JOB,
            now,
            {"sha256": digest},
            key=f"evidence-remove:{case.case_no}:{digest}",
        )
    return removed.evidence_removed
