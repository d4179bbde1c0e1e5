"""A buyer supplies more evidence (补充材料) when staff ask for it: files, Done, back to review.

The same rules as filing (cases.eligibility.check_evidence): types, sizes, duplicates, and the
count counts what the case already has. The files wait in the buyer's session (the pending
answer) until Done, then reach the case together with the `supply_evidence` transition, in one
transaction; an album is acknowledged once.
"""

from __future__ import annotations

from typing import Final

from cases.eligibility import EvidenceVerdict, check_evidence
from cases.evidence import record_evidence
from cases.lifecycle import Action, Refusal, rule_for
from cases.model import Case, CaseStatus, EvidenceFile, EvidenceStatus
from cases.policy import MIB
from dialogs import callbacks as cb
from dialogs.case_moves import run_move, say_refusal
from dialogs.context import ButtonRows, Turn
from dialogs.draft import MAX_ALBUM_NOTES, EvidenceItem
from dialogs.pending import PendingInput
from dialogs.types import FileIn

KIND: Final = "buyer"
EVIDENCE: Final = "evidence"


def collecting(turn: Turn, case_no: str | None = None) -> PendingInput | None:
    """Returns the evidence upload under way in this chat (for `case_no`, if given)."""
    pending = turn.pending
    if pending is None or pending.kind != KIND or pending.action != EVIDENCE:
        return None
    if pending.chat_id != turn.user.chat or (case_no is not None and pending.case_no != case_no):
        return None
    return pending


def upload_buttons(case_no: str) -> ButtonRows:
    return (
        (
            cb.button("case.btn.evidence_done", cb.BUYER_EVIDENCE_DONE + case_no),
            cb.button("case.btn.evidence_cancel", cb.BUYER_EVIDENCE_CANCEL + case_no),
        ),
    )


async def _case_files(turn: Turn, case_no: str) -> list[EvidenceFile]:
    """The case's files that count: one whose download failed is missing, and the buyer was
    asked to send it again, so sending it is no duplicate and it takes no place in the limit."""
    items = await turn.uow.evidence.list(case_no)
    return [item.file for item in items if item.status is not EvidenceStatus.FAILED]


async def _request_note(turn: Turn, case_no: str) -> str:
    """What staff asked for, in their last request for evidence."""
    for event in reversed(await turn.uow.events.list(case_no)):
        if event.action == Action.REQUEST_EVIDENCE.value:
            return event.note
    return ""


async def start(turn: Turn, case: Case) -> None:
    """Asks for the files, if the case waits for evidence; keeps files already sent for it."""
    if case.status is not CaseStatus.AWAITING_EVIDENCE:
        turn.say("case.evidence_not_requested", case_no=case.case_no, status=case.status.value)
        return
    current = collecting(turn)
    if current is not None and current.case_no != case.case_no:
        drop(turn, current)
    if collecting(turn, case.case_no) is None:
        turn.pending = PendingInput(
            kind=KIND,
            action=EVIDENCE,
            case_no=case.case_no,
            chat_id=turn.user.chat,
            asked_at=turn.now,
        )
    pending = collecting(turn, case.case_no)
    have = len(await _case_files(turn, case.case_no))
    policy = turn.policy
    turn.say(
        "case.ask_evidence",
        upload_buttons(case.case_no),
        case_no=case.case_no,
        request=await _request_note(turn, case.case_no),
        have=have,
        new=len(pending.files) if pending is not None else 0,
        room=max(0, policy.max_evidence_files - have),
        max_files=policy.max_evidence_files,
        max_mb=policy.max_evidence_bytes // MIB,
        deadline=case.next_deadline_at,
    )


def drop(turn: Turn, pending: PendingInput) -> None:
    """Ends an upload without sending it (another case, a new complaint), and says so."""
    turn.pending = None
    turn.say("case.evidence_abandoned", case_no=pending.case_no, count=len(pending.files))


async def take_file(turn: Turn, pending: PendingInput, upload: FileIn) -> None:
    """Keeps one more file, or says why it is refused; an album is acknowledged once."""
    file = upload.file
    kept = [item.to_file() for item in pending.files]
    already = [*await _case_files(turn, pending.case_no), *kept]
    verdict = check_evidence(file, already, turn.policy)
    group = upload.media_group_id
    note = f"{group}:{verdict.value}"
    # Album messages arrive one update per file: say "received" (or "full") once per album.
    once = group is None or note not in pending.album_notes
    notes = pending.album_notes
    if group is not None and once:
        notes = (*notes, note)[-MAX_ALBUM_NOTES:]
    files = pending.files
    if verdict is EvidenceVerdict.OK:
        files = (*files, EvidenceItem.of(file))
    turn.pending = pending.model_copy(update={"files": files, "album_notes": notes})
    _acknowledge(turn, pending.case_no, upload, verdict, len(files), once)


def _acknowledge(
    turn: Turn, case_no: str, upload: FileIn, verdict: EvidenceVerdict, count: int, once: bool
) -> None:
    policy, file, buttons = turn.policy, upload.file, upload_buttons(case_no)
    name = file.file_name or ""
    if verdict is EvidenceVerdict.TOO_LARGE:
        turn.say(
            "case.evidence_too_large",
            buttons,
            file_name=name,
            size_mb=f"{(file.size or 0) / MIB:.1f}",
            max_mb=policy.max_evidence_bytes // MIB,
        )
    elif verdict is EvidenceVerdict.BAD_TYPE:
        turn.say(
            "case.evidence_bad_type",
            buttons,
            file_name=name,
            mime_type=file.mime_type or "",
            allowed=", ".join(policy.allowed_evidence_mime),
        )
    elif not once:
        turn.quiet = True
    elif verdict is EvidenceVerdict.OK and upload.media_group_id is not None:
        turn.say("case.evidence_album_received", buttons, case_no=case_no)
    elif verdict is EvidenceVerdict.OK:
        turn.say("case.evidence_received", buttons, case_no=case_no, count=count)
    elif verdict is EvidenceVerdict.DUPLICATE:
        turn.say("case.evidence_duplicate", buttons, count=count)
    else:
        turn.say("case.evidence_too_many", buttons, max_files=policy.max_evidence_files)


async def finish(turn: Turn, case: Case) -> None:
    """Sends the files to the case and puts it back in review (supply_evidence)."""
    pending = collecting(turn, case.case_no)
    if pending is None:
        waiting = case.status is CaseStatus.AWAITING_EVIDENCE
        buttons = ((cb.button("case.btn.evidence", cb.BUYER_EVIDENCE + case.case_no),),)
        turn.say("case.evidence_not_started", buttons if waiting else (), case_no=case.case_no)
        return
    if not pending.files:
        turn.say("case.evidence_empty", upload_buttons(case.case_no), case_no=case.case_no)
        return
    turn.pending = None
    # Checked before the files are recorded: a refused move must leave nothing behind, and
    # supply_evidence has no other condition than the status (the buyer is checked already).
    if case.status not in rule_for(Action.SUPPLY_EVIDENCE).sources:
        say_refusal(turn, case, Refusal.WRONG_STATUS)
        return
    # Recorded first, so the transition's notices count the new files.
    files = [item.to_file() for item in pending.files]
    await record_evidence(turn.uow, case.case_no, files, turn.now)
    await run_move(turn, case.case_no, Action.SUPPLY_EVIDENCE, "case.done.evidence")


def cancel(turn: Turn, case_no: str | None) -> None:
    """Stops this chat's upload for the case; nothing is sent."""
    pending = None if case_no is None else collecting(turn, case_no)
    if pending is None:
        turn.say("error.stale_button")
        return
    turn.pending = None
    turn.say("case.evidence_cancelled", case_no=pending.case_no, count=len(pending.files))


def expect_files(turn: Turn, pending: PendingInput) -> None:
    """Reminds a buyer who typed or sent something else that files are expected."""
    turn.say(
        "case.evidence_expected",
        upload_buttons(pending.case_no),
        case_no=pending.case_no,
        count=len(pending.files),
    )
