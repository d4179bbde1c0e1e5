"""The hash chain over case events detects edited, removed and reordered history."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cases.audit import GENESIS_HASH, chain, event_hash, verify_chain
from cases.model import ActorKind, CaseEvent, CaseStatus

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
