"""The case file (案卷) a buyer takes to the consumer association or 12315: the case, its evidence
and its history, as the buyer may see them.

It is sent as text messages, which the buyer can forward or copy as they are. Replies are text
(or a file re-sent by its Telegram id) today; a generated document would need a reply type that
carries bytes and a sender that uploads them. Staff-only steps (internal notes, assignments)
and who on the staff acted are left out. The last event's hash is quoted, so the history the
file shows can be checked against the platform's tamper-evident record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from cases.audit import is_seal
from cases.erasure import PERSONAL_DATA_REMOVED
from cases.filing import SUBMIT_ACTION
from cases.four_eyes import DISMISS, PROPOSE
from cases.instant import DECLINED as INSTANT_DECLINED
from cases.lifecycle import RULES, Action
from cases.model import Case, CaseEvent, CaseStatus, EvidenceStatus
from cases.ports import StoredEvidence
from dialogs.context import Turn

# Telegram holds 4096 characters a message: the timeline is split so a part with long notes
# (up to 1000 characters each) still fits, with room for the labels of each line.
PART_BUDGET: Final = 3000
_LINE_COST: Final = 120
# Outcomes in which the platform did not give the buyer their refund.
AGAINST_BUYER: Final = frozenset({CaseStatus.REJECTED, CaseStatus.CLOSED})
_DIGEST_SHOWN: Final = 16
_KNOWN_ACTIONS: Final = frozenset(
    {action.value for action in Action} | {SUBMIT_ACTION, PERSONAL_DATA_REMOVED}
)
# Evidence states worth a word beside the file (locale table evidence.marker).
_MARKED: Final = frozenset({EvidenceStatus.REJECTED, EvidenceStatus.FAILED, EvidenceStatus.REMOVED})
# What a merchant is never shown: content that failed the check, files the buyer had removed.
HIDDEN_FROM_MERCHANT: Final = frozenset({EvidenceStatus.REJECTED, EvidenceStatus.REMOVED})


def evidence_marker(item: StoredEvidence) -> str:
    """The status to mark the file with in lists ("" for an ordinary file)."""
    return item.status.value if item.status in _MARKED else ""


def buyer_visible(event: CaseEvent) -> bool:
    """Staff-only steps and audit seals never reach the buyer; unknown actions do."""
    if is_seal(event) or event.action == INSTANT_DECLINED:
        return False  # the rule's "no" is the platform's own bookkeeping
    if event.action in (PROPOSE, DISMISS):
        return False  # staff deliberating among themselves (four eyes)
    try:
        return not RULES[Action(event.action)].internal
    except ValueError:
        return True


async def send_case_file(turn: Turn, case: Case) -> None:
    """Says the case file: the facts and evidence, the timeline in parts, then the footer."""
    uow = turn.uow
    order = await uow.orders.get(case.order_no)
    merchant = await uow.merchants.get(case.merchant_code) if case.merchant_code else None
    evidence = await uow.evidence.list(case.case_no)
    events = [event for event in await uow.events.list(case.case_no) if buyer_visible(event)]
    turn.say(
        "case.file.header",
        case_no=case.case_no,
        now=turn.now,
        order_no=case.order_no,
        product=order.product if order is not None else "",
        merchant=merchant.name if merchant is not None else case.merchant_code,
        order_amount=order.amount if order is not None else case.order_amount,
        paid_at=order.paid_at if order is not None else None,
        reason=case.reason.value,
        description=case.description,
        requested=case.refund_amount,
        refund_method=case.refund_method.value,
        created_at=case.created_at,
        status=case.status.value,
        approved=case.approved_amount,
        currency=case.currency,
        evidence=[_evidence_params(item) for item in evidence],
    )
    parts = split_timeline(events)
    for number, part in enumerate(parts, start=1):
        turn.say(
            "case.file.timeline",
            events=[_event_params(event) for event in part],
            part=number,
            parts=len(parts),
            currency=case.currency,
        )
    history = await uow.events.list(case.case_no)
    turn.say(
        "case.file.footer",
        digest=history[-1].hash[:_DIGEST_SHOWN] if history else "",
        against_buyer=case.status in AGAINST_BUYER,
        reason=case.reason.value,
    )


def split_timeline(events: Sequence[CaseEvent]) -> list[list[CaseEvent]]:
    """Splits the events into message-sized parts, oldest first; no events, no part."""
    parts: list[list[CaseEvent]] = []
    used = PART_BUDGET
    for event in events:
        cost = _LINE_COST + len(event.note)
        if used + cost > PART_BUDGET:
            parts.append([])
            used = 0
        parts[-1].append(event)
        used += cost
    return parts


def _evidence_params(item: StoredEvidence) -> dict[str, Any]:
    return {
        "kind": item.file.kind.value,
        "name": item.file.file_name or "",
        "received_at": item.received_at,
        "sha256": item.sha256 or "",
        "marker": evidence_marker(item),
    }


def _event_params(event: CaseEvent) -> dict[str, Any]:
    return {
        "at": event.at,
        # Staff appear as the platform's role, never as a person.
        "actor": event.actor_kind.value,
        "action": event.action if event.action in _KNOWN_ACTIONS else "other",
        "moved": event.from_status is not event.to_status,
        "to_status": event.to_status.value,
        "amount": event.amount,
        "note": event.note,
    }
