"""The dossier (证据包) for 12315 or a consumer association: what goes into its ZIP, and how.

The buyer takes it to an authority that does not run this bot, so everything in it can be
checked without the bot: the events come with the exact fields their hashes cover
(`cases.audit.signed_fields`), the case and evidence rows with the fields the newest event's
`state_digest` covers, and each evidence file is named in the proof list by its SHA-256.

What a buyer's dossier leaves out: the content of staff-only steps (internal notes, who a case
is assigned to, a second approval asked for). Such an event is shown by its number and its
hashes only, so the chain still links up around it and a reader sees that a step is withheld,
never that none was there.

Telegram lets a bot send files of up to 50 MB. A dossier whose evidence is larger goes out as
several ZIPs (the first holds the summary, the events and every file that fits; the others the
remaining files); a single file too large for any part is listed with its hash, not sent.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from cases.audit import signed_fields, state_fields
from cases.four_eyes import DISMISS, PROPOSE
from cases.lifecycle import RULES, Action
from cases.model import (
    Case,
    CaseEvent,
    EvidenceKind,
    EvidenceStatus,
    Merchant,
    MerchantLegal,
    Order,
)
from cases.ports import StoredEvidence

DOSSIER_JOB: Final = "case_dossier"
# Staff deliberating among themselves: a second approval asked for, or dismissed.
_STAFF_ONLY: Final = frozenset({PROPOSE, DISMISS})
# Telegram's upload limit for bots is 50 MB; the rest is room for the ZIP's own headers.
PART_MAX_BYTES: Final = 45 * 1024 * 1024
# What the first part holds besides evidence: the PDF, events.json, state.json, the README.
FIRST_PART_RESERVE: Final = 4 * 1024 * 1024
EVENTS_FILE: Final = "events.json"
STATE_FILE: Final = "state.json"
SUMMARY_FILE: Final = "summary.pdf"
README_FILE: Final = "README.txt"
EVIDENCE_DIR: Final = "evidence"
_SUFFIX: Final = re.compile(r"\.[A-Za-z0-9]{1,8}")


class Audience(StrEnum):
    BUYER = "buyer"  # their own case: staff-only steps withheld
    STAFF = "staff"  # every event in full


class Left(StrEnum):
    """Why an evidence file is not in the dossier (dossier.left.* names each)."""

    REMOVED = "removed"  # deleted on the buyer's request
    NOT_STORED = "not_stored"  # never downloaded: refused, given up, or still pending
    TOO_LARGE = "too_large"  # larger than a whole part


@dataclass(frozen=True)
class Entry:
    """One evidence file in the proof list: where it is in the ZIPs, or why it is not."""

    position: int  # 1-based, as the proof list numbers it
    item: StoredEvidence
    archive_name: str = ""  # under EVIDENCE_DIR/ in its part
    part: int = 0  # 1-based; 0 when left out
    left: Left | None = None


@dataclass(frozen=True)
class Contents:
    """Everything a dossier is made of, read in one unit of work."""

    case: Case
    order: Order | None
    merchant: Merchant | None
    legal: MerchantLegal | None
    evidence: Sequence[StoredEvidence]
    events: Sequence[CaseEvent]  # the whole chain, seals included
    audience: Audience
    made_at: datetime


def withheld(event: CaseEvent, audience: Audience) -> bool:
    """Whether the event's content stays out of this audience's dossier."""
    if audience is Audience.STAFF:
        return False
    if event.action in _STAFF_ONLY:
        return True
    try:
        return RULES[Action(event.action)].internal
    except ValueError:
        return False  # filing, seals, erasure: steps of the buyer's own case


def event_records(events: Sequence[CaseEvent], audience: Audience) -> list[dict[str, Any]]:
    """events.json's list: each event's signed fields and hash, or only its links if withheld."""
    records: list[dict[str, Any]] = []
    for event in events:
        if withheld(event, audience):
            records.append(
                {"seq": event.seq, "prev_hash": event.prev_hash, "hash": event.hash,
                 "withheld": True}
            )
        else:
            records.append({"signed": signed_fields(event.prev_hash, event), "hash": event.hash})
    return records


def state_record(
    case: Case, evidence: Sequence[StoredEvidence], events: Sequence[CaseEvent]
) -> dict[str, Any]:
    """state.json: the rows as the newest event's state_digest covers them."""
    return state_fields(case, evidence, len(events))


def archive_name(position: int, item: StoredEvidence) -> str:
    """The file's name in the ZIP: its place and a suffix; nothing the buyer typed."""
    suffix = ".jpg" if item.file.kind is EvidenceKind.PHOTO else ""
    if not suffix and item.file.file_name:
        found = _SUFFIX.search(item.file.file_name[-9:])
        suffix = found.group(0).lower() if found else ""
    if not suffix and item.file.mime_type:
        suffix = mimetypes.guess_extension(item.file.mime_type) or ""
    return f"{position:02d}{suffix or '.bin'}"


def plan(
    evidence: Sequence[StoredEvidence],
    sizes: dict[int, int],
    part_bytes: int = PART_MAX_BYTES,
    reserve: int = FIRST_PART_RESERVE,
) -> list[Entry]:
    """Places each file in the first part with room, in the order received.

    `sizes` holds the size on disk of every file that can be sent, by evidence id; a file
    missing from it is left out as not stored.
    """
    used = [reserve]
    entries: list[Entry] = []
    for position, item in enumerate(evidence, start=1):
        if item.status is EvidenceStatus.REMOVED:
            entries.append(Entry(position, item, left=Left.REMOVED))
            continue
        size = sizes.get(item.id)
        if item.status is not EvidenceStatus.STORED or size is None:
            entries.append(Entry(position, item, left=Left.NOT_STORED))
            continue
        if size > part_bytes:
            entries.append(Entry(position, item, left=Left.TOO_LARGE))
            continue
        part = next((n for n, full in enumerate(used) if full + size <= part_bytes), None)
        if part is None:
            used.append(0)
            part = len(used) - 1
        used[part] += size
        entries.append(Entry(position, item, archive_name(position, item), part + 1))
    return entries


def part_count(entries: Sequence[Entry]) -> int:
    return max([1, *(entry.part for entry in entries)])
