"""Scheduling the reading of a stored evidence image (cases/screen_reading.py says what it means).

Nothing here commits: the job lands in the caller's transaction, with the stored file.
"""

from __future__ import annotations

from datetime import datetime

from cases.ports import UnitOfWork

# The bot's screen reader (bot/screen_reader.py) claims jobs of this kind.
READ_SCREENSHOT_JOB = "read_screenshot"


async def queue_reading(uow: UnitOfWork, evidence_id: int, sha256: str, at: datetime) -> None:
    """Schedules one reading per evidence file and content, however often it is asked for (the
    downloader and the backfill may both ask)."""
    key = f"read:{evidence_id}:{sha256}"
    await uow.jobs.add(READ_SCREENSHOT_JOB, at, {"evidence_id": evidence_id}, key=key)

