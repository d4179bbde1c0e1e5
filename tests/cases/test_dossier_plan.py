"""How a dossier's evidence is spread over ZIPs that each fit Telegram's upload limit."""

from __future__ import annotations

from datetime import UTC, datetime

from cases.dossier import Audience, Left, archive_name, part_count, plan, withheld
from cases.model import (
    ActorKind,
    CaseEvent,
    CaseStatus,
    EvidenceFile,
    EvidenceKind,
    EvidenceStatus,
)
from cases.ports import StoredEvidence

AT = datetime(2026, 12, 1, tzinfo=UTC)


def item(
    evidence_id: int,
    status: EvidenceStatus = EvidenceStatus.STORED,
    kind: EvidenceKind = EvidenceKind.PHOTO,
    mime: str | None = "image/jpeg",
    name: str | None = None,
) -> StoredEvidence:
    file = EvidenceFile(kind, f"id{evidence_id}", f"u{evidence_id}", mime, 1, name)
    return StoredEvidence(evidence_id, "TS20261201-AAAAA", file, AT, "ab" * 32, None, status)


def test_everything_fits_in_one_part_when_small() -> None:
    entries = plan([item(1), item(2)], {1: 10, 2: 10}, part_bytes=100, reserve=20)
    assert [(e.part, e.archive_name) for e in entries] == [(1, "01.jpg"), (1, "02.jpg")]
    assert part_count(entries) == 1


def test_files_beyond_a_part_go_into_more_parts_and_the_first_keeps_room_for_the_summary() -> None:
    files = [item(n) for n in range(1, 6)]
    entries = plan(files, dict.fromkeys(range(1, 6), 40), part_bytes=100, reserve=30)
    assert [e.part for e in entries] == [1, 2, 2, 3, 3]
    assert part_count(entries) == 3


def test_a_later_small_file_fills_an_earlier_part() -> None:
    entries = plan([item(1), item(2), item(3)], {1: 60, 2: 60, 3: 10}, part_bytes=100, reserve=0)
    assert [e.part for e in entries] == [1, 2, 1]


def test_removed_unstored_and_oversized_files_are_listed_with_the_reason() -> None:
    files = [
        item(1, EvidenceStatus.REMOVED),
        item(2, EvidenceStatus.FAILED),
        item(3),  # stored, but its file is not on disk
        item(4),
        item(5),
    ]
    entries = plan(files, {4: 500, 5: 5}, part_bytes=100, reserve=0)
    assert [e.left for e in entries] == [
        Left.REMOVED, Left.NOT_STORED, Left.NOT_STORED, Left.TOO_LARGE, None
    ]
    assert [e.part for e in entries] == [0, 0, 0, 0, 1]
    assert entries[4].archive_name == "05.jpg"


def test_archive_names_take_a_short_suffix_and_nothing_else_the_buyer_typed() -> None:
    pdf = item(1, kind=EvidenceKind.DOCUMENT, mime="application/pdf", name="../../付款 记录.PDF")
    video = item(2, kind=EvidenceKind.VIDEO, mime="video/mp4")
    odd = item(3, kind=EvidenceKind.DOCUMENT, mime=None, name="notes")
    assert [archive_name(n, e) for n, e in ((1, pdf), (2, video), (3, odd))] == [
        "01.pdf", "02.mp4", "03.bin"
    ]


def test_the_buyers_copy_withholds_staff_only_steps_and_the_staff_copy_none() -> None:
    def step(action: str) -> CaseEvent:
        return CaseEvent("TS20261201-AAAAA", 1, AT, ActorKind.AGENT, 9, action,
                         CaseStatus.IN_REVIEW, CaseStatus.IN_REVIEW)

    staff_only = ["note", "assign", "propose", "dismiss_proposal"]
    shown = ["submit", "take", "approve_refund", "evidence_stored", "personal_data_removed"]
    assert [withheld(step(a), Audience.BUYER) for a in staff_only] == [True] * 4
    assert [withheld(step(a), Audience.BUYER) for a in shown] == [False] * 5
    assert not any(withheld(step(a), Audience.STAFF) for a in staff_only)
