"""The hash chain over case events detects edited, removed and reordered history, edited rows."""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cases.audit import (
    GENESIS_HASH,
    AuditedCase,
    Finding,
    Head,
    Problem,
    audit_case,
    chain,
    event_hash,
    heads_root,
    sealed,
    state_digest,
    verify_chain,
)
from cases.heads import (
    HeadsFileError,
    Ledger,
    Publication,
    fold,
    heads_of_line,
    parse_lines,
    publication,
    summary_of,
    to_line,
)
from cases.model import (
    ActorKind,
    Case,
    CaseEvent,
    CaseStatus,
    EvidenceFile,
    EvidenceKind,
    EvidenceStatus,
    Reason,
    RefundMethod,
)
from cases.ports import StoredEvidence

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
STEPS = [
    (ActorKind.BUYER, None, CaseStatus.SUBMITTED, "filed"),
    (ActorKind.AGENT, CaseStatus.SUBMITTED, CaseStatus.IN_REVIEW, "review"),
    (ActorKind.AGENT, CaseStatus.IN_REVIEW, CaseStatus.AWAITING_MERCHANT, "to_merchant"),
    (ActorKind.MERCHANT, CaseStatus.AWAITING_MERCHANT, CaseStatus.NEGOTIATING, "offer"),
]


def event(index: int, **changes: object) -> CaseEvent:
    actor, from_status, to_status, action = STEPS[index]
    base = CaseEvent(
        case_no="TS20261126-7K3Q9",
        seq=0,
        at=T0 + timedelta(hours=index),
        actor_kind=actor,
        actor_id=1000 + index,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=f"note {index}",
        amount=2500 if action == "offer" else None,
        extra={"b": "2", "a": "1"} if index == 0 else {},
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def history() -> list[CaseEvent]:
    events: list[CaseEvent] = []
    for index in range(len(STEPS)):
        events.append(chain(events[-1] if events else None, event(index)))
    return events


def test_first_event_starts_at_one_after_the_genesis_hash() -> None:
    first = chain(None, event(0))

    assert first.seq == 1
    assert first.prev_hash == GENESIS_HASH
    assert first.hash == event_hash(GENESIS_HASH, first)
    assert len(first.hash) == 64


def test_each_event_points_at_its_predecessor() -> None:
    events = history()

    assert [item.seq for item in events] == [1, 2, 3, 4]
    for prev, current in itertools.pairwise(events):
        assert current.prev_hash == prev.hash


def test_intact_history_verifies() -> None:
    assert verify_chain(history()) is None
    assert verify_chain([]) is None


def test_hash_ignores_the_time_zone_the_time_is_read_in() -> None:
    first = chain(None, event(0))
    moved = replace(first, at=first.at.astimezone(ZoneInfo("Asia/Shanghai")))

    assert event_hash(first.prev_hash, moved) == first.hash


def test_hash_ignores_the_order_extra_fields_were_added_in() -> None:
    first = chain(None, event(0))
    reordered = replace(first, extra={"a": "1", "b": "2"})

    assert event_hash(first.prev_hash, reordered) == first.hash


def test_hash_changes_with_the_previous_hash() -> None:
    item = event(0)

    assert event_hash(GENESIS_HASH, item) != event_hash("1" * 64, item)


def test_tampered_note_in_the_middle_is_found_at_its_index() -> None:
    events = history()
    events[2] = replace(events[2], note="nothing happened here")

    assert verify_chain(events) == 2


@pytest.mark.parametrize(
    "changes",
    [
        {"amount": 1},
        {"at": T0 + timedelta(days=1)},
        {"actor_id": 1},
        {"to_status": CaseStatus.REFUNDED},
        {"extra": {"x": "y"}},
    ],
)
def test_any_tampered_field_is_found(changes: dict[str, object]) -> None:
    events = history()
    events[3] = replace(events[3], **changes)  # type: ignore[arg-type]

    assert verify_chain(events) == 3


def test_rehashed_tampered_event_breaks_the_link_of_the_next_one() -> None:
    events = history()
    forged = replace(events[1], note="forged")
    events[1] = replace(forged, hash=event_hash(forged.prev_hash, forged))

    assert verify_chain(events) == 2


def test_removed_event_is_found_as_a_gap() -> None:
    events = history()
    del events[1]

    assert verify_chain(events) == 1


def test_removed_first_event_is_found() -> None:
    assert verify_chain(history()[1:]) == 0


def test_swapped_events_are_found() -> None:
    events = history()
    events[1], events[2] = events[2], events[1]

    assert verify_chain(events) == 1


def test_events_of_another_case_do_not_continue_the_chain() -> None:
    events = history()
    with pytest.raises(ValueError, match="TS20261126-AAAAA"):
        chain(events[-1], event(0, case_no="TS20261126-AAAAA"))


def test_chaining_after_an_unchained_event_is_refused() -> None:
    with pytest.raises(ValueError, match="not been chained"):
        chain(event(0), event(1))


def test_naive_event_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        chain(None, event(0, at=datetime(2026, 11, 26)))  # noqa: DTZ001


# -- the rows sealed into the chain, and the published heads ---------------------------------

CASE = Case(
    "TS20261126-7K3Q9", "KM1", 1001, CaseStatus.IN_REVIEW, Reason.NOT_DELIVERED, "never came",
    6000, RefundMethod.ORIGINAL, "CNY", T0, T0, None, audit_salt="ab" * 16,
)
FILE = StoredEvidence(
    7, CASE.case_no, EvidenceFile(EvidenceKind.PHOTO, "AgAC", "AQAD", "image/jpeg", 1000), T0,
    sha256="5" * 64, stored_path="/e/55", status=EvidenceStatus.STORED,
)


def sealed_history() -> list[CaseEvent]:
    events: list[CaseEvent] = []
    for index in range(2):
        events.append(sealed(events[-1] if events else None, event(index), CASE, [FILE]))
    return events


def audited(events: list[CaseEvent], **changes: object) -> AuditedCase:
    base = AuditedCase(CASE, [FILE], events, len(events), events[-1].hash if events else "")
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "changed",
    [
        {"case": replace(CASE, refund_amount=1)},
        {"case": replace(CASE, description="")},
        {"case": replace(CASE, status=CaseStatus.REFUNDED)},
        {"case": replace(CASE, audit_salt="")},
        {"evidence": [replace(FILE, sha256="6" * 64)]},
        {"evidence": [replace(FILE, file=replace(FILE.file, file_id="forged"))]},
        {"evidence": []},
    ],
)
def test_an_edited_row_no_longer_matches_the_newest_seal(changed: dict[str, object]) -> None:
    problem = audit_case(audited(sealed_history(), **changed))

    assert problem == Problem(CASE.case_no, Finding.STATE, 2)


def test_an_intact_sealed_case_passes() -> None:
    assert audit_case(audited(sealed_history())) is None


def test_a_removed_newest_event_no_longer_reaches_the_recorded_head() -> None:
    events = sealed_history()
    record = audited(events[:1], event_count=2, head_hash=events[1].hash)

    assert audit_case(record) == Problem(CASE.case_no, Finding.HEAD, 1)


def test_a_chain_without_any_seal_is_reported_as_unsealed() -> None:
    events = history()

    assert audit_case(audited(events)) == Problem(CASE.case_no, Finding.UNSEALED, 4)


def test_the_seal_is_part_of_the_event_hash() -> None:
    events = sealed_history()
    events[1] = replace(events[1], state_digest="0" * 64)

    assert verify_chain(events) == 1


def test_the_rows_digest_ignores_the_order_the_evidence_was_read_in() -> None:
    other = replace(FILE, id=8, file=replace(FILE.file, file_unique_id="AQAE"))

    assert state_digest(CASE, [FILE, other], 3) == state_digest(CASE, [other, FILE], 3)
    assert state_digest(CASE, [FILE], 3) != state_digest(CASE, [FILE], 4)


def test_published_lines_fold_into_the_newest_heads_and_keep_every_older_one() -> None:
    events = sealed_history()
    first = publication(T0, T0.date(), {CASE.case_no: Head(1, events[0].hash)}, {})
    grown = {CASE.case_no: Head(2, events[1].hash)}
    second = publication(T0 + timedelta(days=1), T0.date(), grown, fold([first]))
    items = parse_lines([to_line(first), "\n", to_line(second)])

    assert fold(items) == grown
    assert heads_root(fold(items)) == items[-1].root
    ledger = Ledger.of(items)
    assert ledger.first_not_extended(CASE.case_no, events) is None
    assert ledger.first_not_extended(CASE.case_no, events[:1]) == second.at
    assert ledger.first_not_extended(CASE.case_no, history()) == first.at


# Case numbers a line must spell as JSON does (a quote, a backslash); the root takes ASCII.
_ODD_HEADS = {
    "TS2": Head(3, "ab" * 32),
    'TS1"': Head(1, "cd" * 32),
    "TS\\3": Head(2, "ef" * 32),
    "TS0": Head(7, "01" * 32),
}


def test_a_line_is_the_publication_dumped_as_json_with_sorted_keys() -> None:
    item = publication(T0, T0.date(), _ODD_HEADS, {"TS2": Head(3, "ab" * 32)})
    payload = {
        "v": 1,
        "at": item.at.isoformat(),
        "date": item.day.isoformat(),
        "root": item.root,
        "cases": item.cases,
        "events": item.events,
        "heads": {no: [head.count, head.hash] for no, head in item.heads.items()},
    }
    assert to_line(item) == json.dumps(payload, sort_keys=True, separators=(",", ":")) + "\n"
    (parsed,) = parse_lines([to_line(item)])
    assert dict(parsed.heads) == {no: h for no, h in _ODD_HEADS.items() if no != "TS2"}


def test_a_lines_heads_read_one_by_one_are_the_heads_it_parses_to() -> None:
    heads = {**_ODD_HEADS, "案件9": Head(2, 'rewritten "\\ hash'), "TS4": Head(0, "")}
    text = to_line(Publication(T0, T0.date(), "r" * 64, len(heads), 9, heads))
    (parsed,) = parse_lines([text])
    assert dict(heads_of_line(text, 1)) == dict(parsed.heads) == heads
    assert summary_of(text, 1) == replace(parsed, heads={})
    assert list(heads_of_line(to_line(publication(T0, T0.date(), {}, {})), 1)) == []


@pytest.mark.parametrize(
    "broken",
    ['"TS1":[1,"ab"]"TS2":[2,"cd"]', '"TS1":[1,"ab"],', '"TS1":[-1,"ab"]', '"TS1":1'],
)
def test_heads_that_are_not_a_list_of_heads_name_their_line(broken: str) -> None:
    good = to_line(publication(T0, T0.date(), {"TS1": Head(1, "ab")}, {}))
    text = good.replace('"TS1":[1,"ab"]', broken)
    with pytest.raises(HeadsFileError) as raised:
        list(heads_of_line(text, 4))
    assert raised.value.line == 4


def test_the_root_is_the_digest_of_every_head_line_in_case_number_order() -> None:
    heads = _ODD_HEADS
    lines = "".join(f"{no} {h.count} {h.hash}\n" for no, h in sorted(heads.items()))
    expected = hashlib.sha256(lines.encode("ascii")).hexdigest()
    assert heads_root(dict(reversed(list(heads.items())))) == expected


def test_a_line_that_is_not_a_publication_is_named_by_its_number() -> None:
    line = to_line(publication(T0, T0.date(), {}, {}))

    with pytest.raises(HeadsFileError) as raised:
        parse_lines([line, '{"v": 1}\n'])
    assert raised.value.line == 2
