"""A hash chain over each case's events, so an edited or deleted history entry is detectable.

Each event's hash covers its own fields and the previous event's hash. Changing a note, an
amount or a time in the middle of a case's history breaks every hash after it, and the store
cannot quietly drop an event because the sequence numbers would show the gap. This proves
tampering after the fact; it does not prevent it (whoever can rewrite the whole chain can
recompute it), which is why the latest hash can also be copied somewhere else, e.g. a log.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC

from cases.model import CaseEvent

# The prev_hash of a case's first event: a fixed value, so "first" is part of what is signed.
GENESIS_HASH = "0" * 64
FIRST_SEQ = 1


def _canonical(prev_hash: str, event: CaseEvent) -> bytes:
    """Serialises the signed fields the same way on every machine and in every Python version."""
    if event.at.tzinfo is None:
        raise ValueError("case events need a timezone-aware time")
    # A fixed format in UTC, so the same instant read back in another zone hashes the same.
    at = event.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    payload = {
        "prev_hash": prev_hash,
        "seq": event.seq,
        "case_no": event.case_no,
        "at": at,
        "actor_kind": str(event.actor_kind),
        "actor_id": event.actor_id,
        "action": event.action,
        "from_status": None if event.from_status is None else str(event.from_status),
        "to_status": str(event.to_status),
        "note": event.note,
        "amount": event.amount,
        "extra": dict(sorted(event.extra.items())),
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
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
