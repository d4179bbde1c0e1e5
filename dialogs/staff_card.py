"""What staff read about cases: the case card with its timeline, the queue, the evidence files.

Data is gathered here and handed to the locale templates as plain values; the renderer escapes
everything the buyer or a colleague typed (the description, notes, reasons).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cases.audit import is_seal
from cases.contest import CONTEST_MOVES, NOT_WHILE_CONTESTED, contested
from cases.erasure import PERSONAL_DATA_REMOVED
from cases.filing import SUBMIT_ACTION
from cases.four_eyes import DISMISS, PROPOSE, Proposal, open_proposal
from cases.instant import DECLINED as INSTANT_DECLINED
from cases.lifecycle import Action, request_cap_rule, rule_for
from cases.model import Case, CaseEvent, EvidenceStatus, is_open
from cases.ports import StoredEvidence
from dialogs import callbacks as cb
from dialogs.case_file import evidence_marker
from dialogs.checklist_card import checklist_block
from dialogs.context import ButtonRows, Turn
from dialogs.evidence_matches import card_matches
from dialogs.screen_card import card_screens
from dialogs.staff_proposal import proposal_buttons, proposal_params
from dialogs.staff_risk import risk_params
from dialogs.types import Button, FileReply

QUEUE_LIMIT = 20
# A Telegram message holds 4096 characters: the card and its timeline go out as two messages,
# the timeline shows the latest events and each note in it is cut to a readable length.
TIMELINE_LIMIT = 10
NOTE_LIMIT = 250

# The moves a card offers, in this order, when the lifecycle allows them from the case's status
# (the role and the status are checked again on every press).
_MOVE_BUTTONS = (
    ("take", cb.STAFF_TAKE, Action.TAKE),
    ("request", cb.STAFF_REQUEST, Action.REQUEST_EVIDENCE),
    ("merchant", cb.STAFF_MERCHANT, Action.SEND_TO_MERCHANT),
    ("approve_full", cb.STAFF_APPROVE_FULL, Action.APPROVE_REFUND),
    ("approve_partial", cb.STAFF_APPROVE_PARTIAL, Action.APPROVE_REFUND),
    ("reject", cb.STAFF_REJECT, Action.REJECT),
    ("rule_buyer", cb.STAFF_RULE_BUYER, Action.RULE_FOR_BUYER),
    ("rule_merchant", cb.STAFF_RULE_MERCHANT, Action.RULE_FOR_MERCHANT),
    ("paid", cb.STAFF_PAID, Action.CONFIRM_REFUND),
    ("assess", cb.STAFF_ASSESS, Action.SEND_TO_ASSESSMENT),
    ("assessed", cb.STAFF_ASSESSED, Action.RECORD_ASSESSMENT),
    ("contest_holds", cb.STAFF_CONTEST_HOLDS, Action.UPHOLD_CONTEST),
    ("contest_fails", cb.STAFF_CONTEST_FAILS, Action.DISMISS_CONTEST),
)
_ALWAYS = (
    ("evidence", cb.STAFF_EVIDENCE),
    ("note", cb.STAFF_NOTE),
    ("card", cb.STAFF_CARD),
    ("dossier", cb.STAFF_DOSSIER),
)
BUTTON_LABELS = frozenset(
    {label for label, _, _ in _MOVE_BUTTONS} | {label for label, _ in _ALWAYS} | {"open"}
)


def staff_button(label: str, prefix: str, case_no: str) -> Button:
    """A staff action button: the label under staff.btn, the data prefix + case number."""
    return cb.button(f"staff.btn.{label}", prefix + case_no, case_no=case_no)


def card_buttons(case: Case, proposal: Proposal | None = None) -> ButtonRows:
    """The moves the case's status allows, two to a row, then evidence / note / refresh; with a
    proposal open, its confirm / dismiss buttons first."""
    actions = [
        staff_button(label, prefix, case.case_no)
        for label, prefix, action in _MOVE_BUTTONS
        if case.status in rule_for(action).sources and offered(case, action)
    ]
    rows = [tuple(actions[i : i + 2]) for i in range(0, len(actions), 2)]
    if proposal is not None:
        rows[:0] = proposal_buttons(case.case_no)
    rows.append(tuple(staff_button(label, prefix, case.case_no) for label, prefix in _ALWAYS))
    return tuple(rows)


def offered(case: Case, action: Action) -> bool:
    """A contested instant refund offers the contest's moves only; other cases never them."""
    if contested(case):
        return action not in NOT_WHILE_CONTESTED
    return action not in CONTEST_MOVES


async def show_card(turn: Turn, case: Case, *, buttons: bool = True) -> None:
    """Says the case card and, in a second message, its timeline (internal notes included)."""
    order = await turn.uow.orders.get(case.order_no)
    assignee = await _person(turn, case.assignee_id)
    deadline = case.next_deadline_at or (case.review_due_at if is_open(case.status) else None)
    files = await turn.uow.evidence.list(case.case_no)
    history = await turn.uow.events.list(case.case_no)
    proposal = open_proposal(case, history)
    turn.say(
        "staff.card",
        card_buttons(case, proposal) if buttons else (),
        case_no=case.case_no,
        order_no=case.order_no,
        product=order.product if order is not None else "",
        order_amount=order.amount if order is not None else case.order_amount,
        currency=case.currency,
        reason=case.reason.value,
        description=case.description,
        evidence_count=case.evidence_count,
        missing=missing_files(files),
        refund_amount=case.refund_amount,
        refund_method=case.refund_method.value,
        cap_rule=request_cap_rule(case, turn.env.policy),
        approved_amount=case.approved_amount,
        offer_amount=case.offer_amount,
        status=case.status.value,
        assignee=assignee,
        deadline=deadline if is_open(case.status) else None,
        deadline_kind=case.deadline_kind.value if case.deadline_kind is not None else "",
        created_at=case.created_at,
        checklist=checklist_block(history),
        risk=await risk_params(turn.uow, case, turn.now, turn.env.policy),
        matches=await card_matches(turn.uow, case.case_no, files),
        four_eyes=proposal_params(proposal, case),
        screens=await card_screens(
            turn.uow, case.case_no, case.order_no, files, turn.env.screen_reading
        ),
    )
    # Seals only record what the rows became (e.g. a file downloaded): no step to show.
    events = [event for event in history if not is_seal(event)]
    shown = events[-TIMELINE_LIMIT:]
    turn.say(
        "staff.timeline",
        case_no=case.case_no,
        events=[_event_params(event) for event in shown],
        omitted=len(events) - len(shown),
        currency=case.currency,
    )


def missing_files(files: Sequence[StoredEvidence]) -> list[dict[str, Any]]:
    """The files whose download was given up (the buyer was asked for them again), by place."""
    return [
        {"position": position, "kind": item.file.kind.value, "file_name": item.file.file_name or ""}
        for position, item in enumerate(files, start=1)
        if item.status is EvidenceStatus.FAILED
    ]


async def _person(turn: Turn, user_id: int | None) -> dict[str, Any] | None:
    if user_id is None:
        return None
    profile = await turn.uow.users.get(user_id)
    username = profile.username if profile is not None and profile.username else ""
    return {"id": user_id, "username": username}


def _event_params(event: CaseEvent) -> dict[str, Any]:
    note = event.note if len(event.note) <= NOTE_LIMIT else event.note[: NOTE_LIMIT - 1] + "…"
    return {
        "at": event.at,
        "actor": event.actor_kind.value,
        "actor_id": event.actor_id,
        "action": event.action,
        "known": event.action in KNOWN_ACTIONS,
        "from_status": event.from_status.value if event.from_status is not None else "",
        "to_status": event.to_status.value,
        "moved": event.from_status is not event.to_status,
        "note": note,
        "amount": event.amount,
        "internal": event.action == NOTE_ACTION,
    }


NOTE_ACTION = Action.NOTE.value
# Event actions the timeline has a label for (staff.action.*); others show their id.
KNOWN_ACTIONS = frozenset(
    {action.value for action in Action}
    | {SUBMIT_ACTION, PERSONAL_DATA_REMOVED, PROPOSE, DISMISS, INSTANT_DECLINED}
)


async def show_queue(turn: Turn) -> None:
    """Lists open cases, nearest deadline first, each with a button that opens its card."""
    cases: Sequence[Case] = await turn.uow.case_queries.open_by_deadline(QUEUE_LIMIT)
    if not cases:
        turn.say("staff.queue_empty")
        return
    items = [
        {
            "case_no": case.case_no,
            "status": case.status.value,
            "deadline": case.next_deadline_at or case.review_due_at,
            "assigned": case.assignee_id is not None,
            "assignee_id": case.assignee_id,
            "refund_amount": case.refund_amount,
            "currency": case.currency,
        }
        for case in cases
    ]
    buttons = tuple(
        (cb.button("staff.btn.open", cb.STAFF_CARD + case.case_no, case_no=case.case_no),)
        for case in cases
    )
    turn.say("staff.queue", buttons, cases=items, count=len(items))


async def show_evidence(turn: Turn, case: Case) -> None:
    """Re-sends every evidence file of the case, each captioned with the case and its number."""
    files = await turn.uow.evidence.list(case.case_no)
    if not files:
        turn.say("staff.evidence_none", case_no=case.case_no)
        return
    turn.say("staff.evidence_header", case_no=case.case_no, count=len(files))
    for index, item in enumerate(files, start=1):
        params = {
            "case_no": case.case_no,
            "index": index,
            "count": len(files),
            "file_name": item.file.file_name or "",
            "received_at": item.received_at,
            "marker": evidence_marker(item),
        }
        if item.status is EvidenceStatus.REMOVED:
            # Its Telegram file id was erased with it: there is nothing left to re-send.
            turn.say_params("staff.evidence_caption", params)
            continue
        turn.replies.append(
            FileReply(
                key="staff.evidence_caption",
                params=params,
                file_kind=item.file.kind.value,
                file_id=item.file.file_id,
            )
        )
