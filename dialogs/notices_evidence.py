"""What the buyer and the staff chat hear when an evidence file was not kept.

Either it could not be downloaded (after every retry), or the bot refused it: over the size
limit, or content that is not what it claims to be.

The buyer is told which file (its place among the case's files, its kind and name) and how to
send it again, as far as the case's status allows: while the case waits for evidence they can
send it at once; while it is in review staff can ask for it; after that nobody can add files,
and the buyer is told so rather than asked for something they cannot do.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from cases.lifecycle import Action, rule_for
from cases.model import Case, CaseStatus
from cases.ports import StoredEvidence
from dialogs import callbacks as cb
from dialogs.context import ButtonRows
from dialogs.notices_common import btn
from dialogs.types import Button, Reply


class Resend(StrEnum):
    """What the buyer was told about sending the missing file again."""

    NOW = "now"  # the case waits for evidence: /evidence or the button
    WHEN_ASKED = "when_asked"  # in review: staff can ask for it, then the buyer sends it
    CLOSED = "closed"  # the case accepts no more evidence: staff have been told


def resend_option(case: Case) -> Resend:
    if case.status is CaseStatus.AWAITING_EVIDENCE:
        return Resend.NOW
    if case.status in rule_for(Action.REQUEST_EVIDENCE).sources:
        return Resend.WHEN_ASKED
    return Resend.CLOSED


def missing_file_params(
    case: Case, item: StoredEvidence, files: list[StoredEvidence]
) -> dict[str, Any]:
    """Names the file as the buyer knows it: its place, kind and name (never a stored path)."""
    position = next((i for i, f in enumerate(files, start=1) if f.id == item.id), 0)
    return {
        "case_no": case.case_no,
        "position": position,
        "count": len(files),
        "kind": item.file.kind.value,
        "file_name": item.file.file_name or "",
        "status": case.status.value,
        "resend": resend_option(case).value,
    }


def buyer_resend_notice(params: dict[str, Any]) -> Reply:
    """Asks the buyer to send the file again, or says truthfully why they cannot."""
    buttons: ButtonRows = ()
    if params["resend"] == Resend.NOW:
        buttons = ((btn("evidence", cb.BUYER_EVIDENCE, params["case_no"]),),)
    return Reply(f"evidence.resend.{params['resend']}", params, buttons)


def buyer_refused_notice(params: dict[str, Any], why: dict[str, Any]) -> Reply:
    """Tells the buyer a file they sent was not kept and why, and what to send instead, as far
    as the case's status lets them send anything."""
    resend = buyer_resend_notice(params)
    return Reply(f"evidence.refused_buyer.{params['resend']}", {**params, **why}, resend.buttons)


def staff_missing_notice(params: dict[str, Any], evidence_id: int, attempts: int) -> Reply:
    """Tells the staff chat the file is missing, what the buyer was told, and the way to ask."""
    return staff_file_notice(
        "evidence.download_failed", params, {"evidence_id": evidence_id, "attempts": attempts}
    )


def staff_file_notice(key: str, params: dict[str, Any], extra: dict[str, Any]) -> Reply:
    """A staff notice about one file: the card, and the way to ask for it while in review."""
    n = params["case_no"]
    row: tuple[Button, ...] = (btn("card", cb.STAFF_CARD, n),)
    if params["resend"] == Resend.WHEN_ASKED:
        row = (*row, btn("request", cb.STAFF_REQUEST, n))
    return Reply(key, {**params, **extra}, (row,))
