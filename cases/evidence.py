"""Recording evidence files on a case: a row per file and a job that downloads it.

Used when a buyer files a complaint and when they supply more evidence (补充材料) later. A file
whose download was given up may be sent again: the same file (Telegram's unique id) takes the
place of the failed one and is downloaded anew.
Nothing here commits: the files land in the caller's transaction, with the change that brought
them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from cases.model import EvidenceFile
from cases.ports import UnitOfWork

# The bot's evidence downloader (bot/evidence.py) claims jobs of this kind.
DOWNLOAD_EVIDENCE_JOB = "download_evidence"


async def record_evidence(
    uow: UnitOfWork, case_no: str, files: Iterable[EvidenceFile], at: datetime
) -> list[int]:
    """Adds each file to the case and schedules its download; returns the evidence ids."""
    ids: list[int] = []
    for file in files:
        again = await uow.evidence.replace_failed(case_no, file, at)
        evidence_id = again if again is not None else await uow.evidence.add(case_no, file, at)
        # Keyed by the evidence id (and, for a file sent again after its download failed, the
        # time it came), so each copy's download is scheduled once whatever retries it.
        key = f"evidence:{evidence_id}" if again is None else f"evidence:{again}:{at.isoformat()}"
        await uow.jobs.add(DOWNLOAD_EVIDENCE_JOB, at, {"evidence_id": evidence_id}, key=key)
        ids.append(evidence_id)
    return ids
