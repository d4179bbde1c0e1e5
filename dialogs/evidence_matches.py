"""Reused screenshots, as staff read them: a block of the case card and a follow-up notice.

Fingerprints are computed after the files are downloaded, that is after the new-case card went
out; a match found then reaches the staff chat as its own notice (like a file that could not be
downloaded), and every later card shows it. Only a match with another buyer's case is told as a
notice; the buyer's own screenshot in another of their cases shows on the card only, marked as
theirs (see cases/fingerprints.py for why).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cases.fingerprints import EvidenceMatch
from cases.ports import StoredEvidence, UnitOfWork
from dialogs import callbacks as cb
from dialogs.notices_common import btn
from dialogs.types import Reply


def match_lines(
    matches: Sequence[EvidenceMatch], files: Sequence[StoredEvidence]
) -> list[dict[str, Any]]:
    """One line per match: the file's place in this case, the other case, same or similar;
    other buyers' cases first."""
    places = {item.id: position for position, item in enumerate(files, start=1)}
    lines = [
        {
            "position": places.get(match.evidence_id, 0),
            "case_no": match.other_case_no,
            "kind": match.kind.value,
            "own": match.same_buyer,
        }
        for match in matches
    ]
    return sorted(lines, key=lambda line: (line["own"], line["position"], line["case_no"]))


async def card_matches(
    uow: UnitOfWork, case_no: str, files: Sequence[StoredEvidence]
) -> list[dict[str, Any]]:
    """The card's block: the matches of the case's files (`files`) still kept."""
    return match_lines(await uow.fingerprints.matches(case_no), files)


def match_notice(
    case_no: str, matches: Sequence[EvidenceMatch], files: Sequence[StoredEvidence]
) -> Reply | None:
    """The staff chat's notice of a file found in other buyers' cases; None for own ones only."""
    others = [match for match in matches if not match.same_buyer]
    if not others:
        return None
    params = {"case_no": case_no, "matches": match_lines(others, files)}
    return Reply("fingerprint.notice", params, ((btn("card", cb.STAFF_CARD, case_no),),))
