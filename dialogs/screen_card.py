"""What the screenshots say, as staff read it: a block of the case card and a follow-up notice.

Screenshots are read after they are downloaded (bot/screen_reader.py), that is after the
new-case card went out; once the last image of a case has been read, and text was found in one,
the staff chat gets the block as a notice of its own, and every later card shows it. Per image:
a short excerpt of what was read (the renderer escapes it) and whether the order number, the
card code, the amount or a failure text appear in it. Without the OCR extra installed the block
says reading is off.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cases.fingerprints import wants_fingerprint
from cases.model import EvidenceStatus
from cases.ports import StoredEvidence, UnitOfWork
from cases.screen_reading import ReadingStatus, ScreenReading, excerpt
from dialogs import callbacks as cb
from dialogs.notices_common import btn
from dialogs.types import Reply

# A card holds 4096 characters with everything else on it: a line of the text per image.
EXCERPT_LIMIT = 80


def _images(files: Sequence[StoredEvidence]) -> list[tuple[int, StoredEvidence]]:
    """The case's stored pictures, with their place among all its files."""
    return [
        (position, item)
        for position, item in enumerate(files, start=1)
        if item.status is EvidenceStatus.STORED and wants_fingerprint(item.file)
    ]


def screen_lines(
    files: Sequence[StoredEvidence], readings: Sequence[ScreenReading], has_code: bool
) -> list[dict[str, Any]]:
    """One line per stored picture: pending, failed, or what was read and matched."""
    by_file = {reading.evidence_id: reading for reading in readings}
    lines = []
    for position, item in _images(files):
        reading = by_file.get(item.id)
        state = "pending" if reading is None else reading.status.value
        if state == ReadingStatus.READING.value:
            state = "pending"
        line: dict[str, Any] = {"position": position, "state": state}
        if reading is not None and reading.status is ReadingStatus.DONE:
            found = reading.matches
            line.update(
                excerpt=excerpt(reading.text, EXCERPT_LIMIT),
                order_no=found.order_no,
                card_code=found.card_code if has_code else None,
                amount=found.amount,
                failure_texts=list(found.failure_texts),
            )
        lines.append(line)
    return lines


async def card_screens(
    uow: UnitOfWork, case_no: str, order_no: str, files: Sequence[StoredEvidence], enabled: bool
) -> dict[str, Any] | None:
    """The card's block, or None when the case has no stored picture."""
    if not _images(files):
        return None
    order = await uow.orders.get(order_no)
    has_code = order is not None and order.card_code is not None
    readings = await uow.readings.for_case(case_no)
    return {"enabled": enabled, "lines": screen_lines(files, readings, has_code)}


def all_read(files: Sequence[StoredEvidence], readings: Sequence[ScreenReading]) -> bool:
    """Whether every picture of the case that is or will be stored has a finished reading."""
    finished = {r.evidence_id for r in readings if r.status is not ReadingStatus.READING}
    waiting = (EvidenceStatus.RECEIVED, EvidenceStatus.STORED)
    return all(
        item.id in finished
        for item in files
        if item.status in waiting and wants_fingerprint(item.file)
    )


def worth_telling(screens: dict[str, Any]) -> bool:
    """Whether any picture's reading found text. The staff group takes 20 messages a minute
    and is told of every new case already: a photo with no text in it, or one that could not
    be read, is shown on the card only, where staff look when they work the case."""
    return any(line.get("excerpt") for line in screens["lines"])


def screens_notice(case_no: str, screens: dict[str, Any]) -> Reply:
    """The staff chat's notice that the case's screenshots have been read, with the card."""
    params = {"case_no": case_no, **screens}
    return Reply("screen.notice", params, ((btn("card", cb.STAFF_CARD, case_no),),))
