"""The tamper-evident record of every case: a hash chain of events, sealed to the rows it left.

**The chain.** Each event's hash covers its own fields and the previous event's hash. Changing
a note, an amount or a time in the middle of a case's history breaks every hash after it, and a
removed or inserted event shows as a gap in the sequence numbers.

**The rows.** The case row and its evidence rows are not events, yet they are what staff and
the buyer see (the amounts, the status, the description, each file's SHA-256). Each event
therefore carries `state_digest`: the digest of the case row and all its evidence rows as the
event left them (`state_digest()`), and so does the case's newest event for the rows as they
are now. That works because *every* legitimate change of those rows appends an event in the
same transaction: a transition (cases/workflow.py), filing (cases/filing.py), the removal of
personal data (cases/erasure.py), and the evidence downloader's outcome for a file (stored,
rejected, failed: bot/evidence.py, with a `SEAL_ACTIONS` event that timelines leave out). The
alternative, a digest over the immutable fields only, would leave the status, the amounts and
the files' hashes unguarded, which are exactly what a dispute turns on.

**The newest event.** Deleting the last event leaves an intact but shorter chain. The case row
keeps the length and the head hash of its chain (`event_count`, `head_hash`, written with each
event); the count is inside the digest, so whoever deletes the last event must also rewind the
row to the state before it, field by field. Only what is written outside the database stops a
rewrite of a whole chain (or of a case with its rows and events): once a day the heads of all
chains are published (`heads_root()`, the staff chat and AUDIT_HEADS_FILE), and `audit verify
--against` checks that every case published then still exists and still extends its head.

**Erasure.** Removing a buyer's personal data blanks the description and marks the evidence
removed without rewriting any event: the removal appends its own event with the new digest.
The digest mixes in the case's `audit_salt`, which the removal replaces, so the digests in
older events cannot confirm a guess at the removed description or file names.

This proves tampering after the fact; it does not prevent it, and the events after the last
publication are only as safe as the database until the next one.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from cases.model import ActorKind, Case, CaseEvent
from cases.ports import StoredEvidence

# The prev_hash of a case's first event: a fixed value, so "first" is part of what is signed.
GENESIS_HASH = "0" * 64
FIRST_SEQ = 1


def _utc(at: datetime | None) -> str | None:
    """A fixed format in UTC, so the same instant read back in another zone hashes the same."""
    if at is None:
        return None
    if at.tzinfo is None:
        raise ValueError("case events need a timezone-aware time")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _digest(payload: object) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def signed_fields(prev_hash: str, event: CaseEvent) -> dict[str, Any]:
    """The fields an event's hash covers, as JSON values (a dossier hands them out as they are)."""
    payload: dict[str, Any] = {
        "prev_hash": prev_hash,
        "seq": event.seq,
        "case_no": event.case_no,
        "at": _utc(event.at),
        "actor_kind": str(event.actor_kind),
        "actor_id": event.actor_id,
        "action": event.action,
        "from_status": None if event.from_status is None else str(event.from_status),
        "to_status": str(event.to_status),
        "note": event.note,
        "amount": event.amount,
        "extra": dict(sorted(event.extra.items())),
    }
    if event.state_digest:
        # Only when present, so events written before the rows were sealed keep their hashes.
        payload["state_digest"] = event.state_digest
    return payload


def _canonical(prev_hash: str, event: CaseEvent) -> bytes:
    """Serialises the signed fields the same way on every machine and in every Python version."""
    text = json.dumps(
        signed_fields(prev_hash, event), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return text.encode("utf-8")


def event_hash(prev_hash: str, event: CaseEvent) -> str:
    """Returns the sha256 hex digest of the event's fields (all but ``hash``) and ``prev_hash``."""
    return hashlib.sha256(_canonical(prev_hash, event)).hexdigest()


def chain(prev: CaseEvent | None, event: CaseEvent) -> CaseEvent:
    """Returns ``event`` numbered and hashed as the successor of ``prev`` (None: the first one)."""
    if prev is None:
        seq, prev_hash = FIRST_SEQ, GENESIS_HASH
    else:
        if prev.case_no != event.case_no:
            raise ValueError(f"cannot chain an event of {event.case_no} after {prev.case_no}")
        if not prev.hash:
            raise ValueError("the previous event has not been chained itself")
        seq, prev_hash = prev.seq + 1, prev.hash
    numbered = replace(event, seq=seq, prev_hash=prev_hash, hash="")
    return replace(numbered, hash=event_hash(prev_hash, numbered))


def verify_chain(events: Sequence[CaseEvent]) -> int | None:
    """Returns the index of the first event that breaks the chain, or None if it is intact.

    ``events`` is one case's whole history in order. An event breaks the chain when its hash
    does not match its content, when it does not point at its predecessor's hash, or when its
    sequence number does not follow its predecessor's (an event was removed or inserted).
    """
    prev: CaseEvent | None = None
    for index, event in enumerate(events):
        expected_seq = FIRST_SEQ if prev is None else prev.seq + 1
        expected_prev = GENESIS_HASH if prev is None else prev.hash
        if (
            event.seq != expected_seq
            or event.prev_hash != expected_prev
            or (prev is not None and event.case_no != prev.case_no)
            or event.hash != event_hash(event.prev_hash, event)
        ):
            return index
        prev = event
    return None


# Events that only seal a change of the rows into the chain, with no step of the process of
# their own: an evidence file's download outcome, and a case first sealed after it was filed.
# Timelines leave them out.
EVIDENCE_STORED = "evidence_stored"
EVIDENCE_REJECTED = "evidence_rejected"
EVIDENCE_FAILED = "evidence_failed"
SEALED = "audit_sealed"
SEAL_ACTIONS = frozenset({EVIDENCE_STORED, EVIDENCE_REJECTED, EVIDENCE_FAILED, SEALED})
# Bumped whenever the fields of state_digest() change, so old digests stay explainable.
STATE_VERSION = 1


def new_audit_salt() -> str:
    """A fresh salt for a case's rows digest: drawn at filing, replaced on erasure."""
    return secrets.token_hex(16)


def is_seal(event: CaseEvent) -> bool:
    return event.action in SEAL_ACTIONS


def state_digest(case: Case, evidence: Sequence[StoredEvidence], event_count: int) -> str:
    """The digest of the case row and its evidence rows, with the chain length they belong to."""
    return _digest(state_fields(case, evidence, event_count))


def state_fields(
    case: Case, evidence: Sequence[StoredEvidence], event_count: int
) -> dict[str, Any]:
    """What `state_digest` covers, as JSON values (a dossier hands them out as they are).

    Every column a person or a rule reads is in it; `open_order_no` is not (it follows from the
    status and the order), nor the row's head hash (the event carrying this digest is the head).
    The fields are listed here rather than taken from the storage mapping: a digest sealed once
    must be computed the same way for as long as it is the newest (STATE_VERSION otherwise).
    """
    return {
        "v": STATE_VERSION,
        "salt": case.audit_salt,
        "event_count": event_count,
        "case": {
            "case_no": case.case_no,
            "order_no": case.order_no,
            "buyer_id": case.buyer_id,
            "status": case.status.value,
            "reason": case.reason.value,
            "description": case.description,
            "refund_amount": case.refund_amount,
            "refund_method": case.refund_method.value,
            "currency": case.currency,
            "created_at": _utc(case.created_at),
            "updated_at": _utc(case.updated_at),
            "review_due_at": _utc(case.review_due_at),
            "next_deadline_at": _utc(case.next_deadline_at),
            "merchant_code": case.merchant_code,
            "order_amount": case.order_amount,
            "assignee_id": case.assignee_id,
            "deadline_kind": None if case.deadline_kind is None else case.deadline_kind.value,
            "offer_amount": case.offer_amount,
            "offer_declined": case.offer_declined,
            "approved_amount": case.approved_amount,
            "paused_review_seconds": case.paused_review_seconds,
            "personal_data_removed_at": _utc(case.personal_data_removed_at),
        },
        "evidence": [
            {
                "id": item.id,
                "kind": item.file.kind.value,
                "file_id": item.file.file_id,
                "file_unique_id": item.file.file_unique_id,
                "mime_type": item.file.mime_type,
                "size": item.file.size,
                "file_name": item.file.file_name,
                "received_at": _utc(item.received_at),
                "sha256": item.sha256,
                "stored_path": item.stored_path,
                "status": item.status.value,
            }
            for item in sorted(evidence, key=lambda item: item.id)
        ],
    }


def sealed(
    prev: CaseEvent | None,
    event: CaseEvent,
    case: Case,
    evidence: Sequence[StoredEvidence],
) -> CaseEvent:
    """Returns `event` chained after `prev` and carrying the digest of the rows it leaves."""
    count = FIRST_SEQ if prev is None else prev.seq + 1
    return chain(prev, replace(event, state_digest=state_digest(case, evidence, count)))


def seal_event(case: Case, at: datetime, action: str, extra: dict[str, str]) -> CaseEvent:
    """A system event that records a change of the rows and moves the case nowhere."""
    return CaseEvent(
        case_no=case.case_no,
        seq=0,
        at=at,
        actor_kind=ActorKind.SYSTEM,
        actor_id=None,
        action=action,
        from_status=case.status,
        to_status=case.status,
        extra=extra,
    )


class Finding(StrEnum):
    """What `audit_case` found wrong with one case (UNSEALED is a notice, not a failure)."""

    NO_HISTORY = "no_history"  # a case row without a single event
    BROKEN = "broken"  # an event does not match its hash or its predecessor
    HEAD = "head"  # the chain is not as long, or does not end where, the case row says
    STATE = "state"  # the case or evidence rows differ from what the newest event sealed
    UNSEALED = "unsealed"  # the newest event predates sealing: the rows cannot be checked


@dataclass(frozen=True)
class AuditedCase:
    """A case as the database holds it: its row, its evidence, its events, its recorded head."""

    case: Case
    evidence: Sequence[StoredEvidence]
    events: Sequence[CaseEvent]
    event_count: int
    head_hash: str


@dataclass(frozen=True)
class Problem:
    case_no: str
    finding: Finding
    seq: int = 0  # the event concerned: the first broken one, or the newest one


def audit_case(record: AuditedCase) -> Problem | None:
    """Checks one case's chain, the head its row records, and its rows against the newest seal."""
    case_no, events = record.case.case_no, record.events
    if not events:
        return Problem(case_no, Finding.NO_HISTORY)
    bad = verify_chain(events)
    if bad is not None:
        return Problem(case_no, Finding.BROKEN, events[bad].seq)
    last = events[-1]
    if record.event_count != last.seq or record.head_hash != last.hash:
        return Problem(case_no, Finding.HEAD, last.seq)
    if not last.state_digest:
        return Problem(case_no, Finding.UNSEALED, last.seq)
    if last.state_digest != state_digest(record.case, record.evidence, record.event_count):
        return Problem(case_no, Finding.STATE, last.seq)
    return None


@dataclass(frozen=True, slots=True)
class Head:
    """Where one case's chain ended when it was published: its length and its newest hash."""

    count: int
    hash: str


def head_line(no: str, head: Head) -> str:
    """One head's line of the text the root digest is taken over, in case-number order."""
    return f"{no} {head.count} {head.hash}\n"


def heads_root(heads: Mapping[str, Head]) -> str:
    """One digest over every case's head, in case-number order: what staff keep a copy of."""
    digest = hashlib.sha256()
    # Line by line: the text of 100,000 heads would be one more copy of all of them in memory.
    for no in sorted(heads):
        head = heads[no]
        digest.update(head_line(no, head).encode("ascii"))
    return digest.hexdigest()


def extends(events: Sequence[CaseEvent], head: Head) -> bool:
    """Whether an intact chain still holds the published head: the same, or grown from it."""
    return len(events) >= head.count and events[head.count - 1].hash == head.hash
