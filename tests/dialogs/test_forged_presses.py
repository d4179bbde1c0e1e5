"""Callback data cannot be forged into an action: every case button, pressed by the wrong person.

Each `b:`, `mc:` and `st:` button of dialogs/callbacks.py is pressed on a real case by everyone
who must not use it; the case, its history and the queued notices stay as they were, and the
presser gets an answer that says no (never silence, never an exception).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from dialogs import callbacks
from tests.dialogs.case_support import (
    AGENT,
    BUYER,
    MERCHANT,
    OTHER_MERCHANT,
    STRANGER,
    CaseWorld,
)

OTHER_BUYER = 86_421


def prefixes(namespace: str) -> list[str]:
    """Every callback prefix the bot defines in `namespace` (e.g. "st:")."""
    values = {
        value
        for name, value in vars(callbacks).items()
        if name.isupper() and isinstance(value, str) and value.startswith(namespace)
    }
    return sorted(value for value in values if value != namespace)


# Who must not press which buttons (all in a private chat with the bot).
WRONG_PERSONS = {
    "st:": {"buyer": BUYER, "merchant": MERCHANT, "stranger": STRANGER},
    "mc:": {
        "buyer": BUYER,
        "other merchant": OTHER_MERCHANT,
        "stranger": STRANGER,
        "staff": AGENT,
    },
    "b:": {
        "other buyer": OTHER_BUYER,
        "merchant": MERCHANT,
        "other merchant": OTHER_MERCHANT,
        "stranger": STRANGER,
    },
}

# The clear "no" each namespace gives: not staff; not a bound merchant or (for another
# merchant) the same "no such case" an unknown number gets; a buyer's button on someone else's
# case reads as an unknown number too, so presses cannot enumerate case numbers.
REFUSALS = {
    "st:": {"staff.refused.not_staff"},
    "mc:": {"merchant.not_bound", "status.not_found"},
    "b:": {"status.not_found", "error.stale_button"},
}

TABLE = [
    pytest.param(prefix, user, id=f"{prefix}-{who}")
    for namespace, persons in WRONG_PERSONS.items()
    for prefix in prefixes(namespace)
    for who, user in persons.items()
]


def snapshot(world: CaseWorld) -> dict[str, Any]:
    store = world.store
    return copy.deepcopy(
        {
            "cases": store.cases,
            "events": store.events,
            "jobs": store.jobs,
            "out": store.outbox,
            "ratings": store.ratings,
        }
    )


def test_the_table_covers_every_case_action_prefix() -> None:
    assert len(prefixes("st:")) >= 12
    assert len(prefixes("mc:")) == 5
    assert len(prefixes("b:")) == 12


@pytest.mark.parametrize(("prefix", "user"), TABLE)
async def test_a_case_button_pressed_by_the_wrong_person_changes_nothing(
    prefix: str, user: int
) -> None:
    world = CaseWorld.make()
    case_no = await world.with_merchant()
    status, events = world.case(case_no).status, len(world.store.events[case_no])
    before = snapshot(world)

    answer = await world.chat(user).click(prefix + case_no)

    assert answer, "a refused press is answered"
    assert world.case(case_no).status is status
    assert len(world.store.events[case_no]) == events
    assert snapshot(world) == before
    assert set(answer.keys) <= REFUSALS[prefix.split(":")[0] + ":"], answer.keys
