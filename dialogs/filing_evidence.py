"""The evidence step: files in, each accepted or refused with its reason; Done and Clear all."""

from __future__ import annotations

from cases.checklist import ChecklistItem
from cases.eligibility import EvidenceVerdict, check_evidence
from cases.model import evidence_required
from cases.policy import MIB
from dialogs.context import Turn
from dialogs.draft import EvidenceItem, FilingDraft, Flow, Next, Step
from dialogs.filing_checklist import draft_states, drop_file_ticks, required_missing, toggle
from dialogs.filing_checks import proceed
from dialogs.filing_prompts import evidence_buttons, limits
from dialogs.types import FileIn


async def take_file(turn: Turn, draft: FilingDraft, upload: FileIn) -> Next:
    """Adds one evidence file, or says why it is refused; an album is acknowledged once."""
    file = upload.file
    verdict = check_evidence(file, draft.files(), turn.policy)
    group = upload.media_group_id
    # Album messages arrive one update per file: say "received" (or "full") once per album.
    once = group is None or draft.first_note(f"{group}:{verdict.value}")
    if verdict is EvidenceVerdict.OK:
        draft.evidence = [*draft.evidence, EvidenceItem.of(file)]
        if not once:
            turn.quiet = True
        elif group is None:
            turn.say(
                "filing.evidence_received",
                evidence_buttons(draft, turn.policy),
                count=len(draft.evidence),
                max_files=turn.policy.max_evidence_files,
            )
        else:
            turn.say(
                "filing.evidence_album_received",
                evidence_buttons(draft, turn.policy),
                max_files=turn.policy.max_evidence_files,
            )
        return Flow.STAY
    name = file.file_name or ""
    if verdict is EvidenceVerdict.TOO_LARGE:
        turn.say(
            "filing.evidence_too_large",
            evidence_buttons(draft, turn.policy),
            file_name=name,
            size_mb=f"{(file.size or 0) / MIB:.1f}",
            max_mb=limits(turn.policy)["max_mb"],
        )
    elif verdict is EvidenceVerdict.BAD_TYPE:
        turn.say(
            "filing.evidence_bad_type",
            evidence_buttons(draft, turn.policy),
            file_name=name,
            mime_type=file.mime_type or "",
            allowed=", ".join(turn.policy.allowed_evidence_mime),
        )
    elif not once:
        turn.quiet = True
    elif verdict is EvidenceVerdict.DUPLICATE:
        turn.say(
            "filing.evidence_duplicate",
            evidence_buttons(draft, turn.policy),
            count=len(draft.evidence),
        )
    else:
        turn.say(
            "filing.evidence_too_many",
            evidence_buttons(draft, turn.policy),
            max_files=turn.policy.max_evidence_files,
        )
    return Flow.STAY


async def finish_evidence(turn: Turn, draft: FilingDraft, _: str) -> Next:
    """Closes the evidence list, if the reason has what it needs, and asks for the refund."""
    if draft.reason is not None and evidence_required(draft.reason) and not draft.evidence:
        turn.say(
            "filing.evidence_required",
            evidence_buttons(draft, turn.policy),
            reason=draft.reason.value,
        )
        return Flow.STAY
    required = required_missing(turn.policy, draft)
    if required:
        turn.say("checklist.required_missing", evidence_buttons(draft, turn.policy), items=required)
        return Flow.STAY
    return await proceed(turn, draft, Step.REFUND_KIND)


async def clear_evidence(turn: Turn, draft: FilingDraft, _: str) -> Next:
    """Removes every file sent so far and asks for evidence again."""
    draft.evidence = []
    draft.album_notes = []
    drop_file_ticks(draft)
    turn.say("filing.evidence_cleared")
    return Step.EVIDENCE


async def tick_item(turn: Turn, draft: FilingDraft, value: str) -> Next:
    """Ticks or unticks one checklist item; a picture item needs a file sent first."""
    listed = {state.item.value for state in draft_states(turn.policy, draft)}
    if value not in listed:
        turn.say("error.stale_button")
        return Step.EVIDENCE
    item = ChecklistItem(value)
    if item.needs_file and not draft.evidence and value not in draft.ticked:
        turn.say("checklist.needs_file", evidence_buttons(draft, turn.policy), item=value)
        return Flow.STAY
    ticked = toggle(draft, item)
    turn.say(
        "checklist.ticked",
        evidence_buttons(draft, turn.policy),
        item=value,
        given=ticked,
        missing=[s.item.value for s in draft_states(turn.policy, draft) if not s.given],
    )
    return Flow.STAY
