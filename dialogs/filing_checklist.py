"""The evidence checklist as the filing dialog shows it: the items, their ticks and buttons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cases.checklist import ChecklistItem, ItemState, missing, missing_required, states
from cases.policy import Policy
from dialogs import callbacks as cb
from dialogs.draft import FilingDraft
from dialogs.types import Button


def draft_states(policy: Policy, draft: FilingDraft) -> list[ItemState]:
    """The draft's reason's items, each ticked or not; none before a reason is chosen."""
    if draft.reason is None:
        return []
    return states(policy.checklist(draft.reason), policy.evidence_required_items, draft.ticked)


def checklist_params(states_: Sequence[ItemState]) -> list[dict[str, Any]]:
    """The checklist as text parameters (texts `checklist.*`)."""
    return [
        {"item": state.item.value, "given": state.given, "required": state.required}
        for state in states_
    ]


def missing_params(states_: list[ItemState]) -> list[str]:
    return [item.value for item in missing(states_)]


def required_missing(policy: Policy, draft: FilingDraft) -> list[str]:
    return [item.value for item in missing_required(draft_states(policy, draft))]


def tick_buttons(policy: Policy, draft: FilingDraft) -> tuple[tuple[Button, ...], ...]:
    """One toggle per item, a row each: the labels are whole phrases."""
    return tuple(
        (
            cb.button(
                "checklist.btn",
                cb.TICK + state.item.value,
                item=state.item.value,
                given=state.given,
            ),
        )
        for state in draft_states(policy, draft)
    )


def toggle(draft: FilingDraft, item: ChecklistItem) -> bool:
    """Ticks the item, or unticks it when it was ticked; returns whether it is ticked now."""
    if item.value in draft.ticked:
        draft.ticked = [value for value in draft.ticked if value != item.value]
        return False
    draft.ticked = [*draft.ticked, item.value]
    return True


def drop_file_ticks(draft: FilingDraft) -> None:
    """Clearing the files takes back the ticks that only a file could back."""
    draft.ticked = [
        value
        for value in draft.ticked
        if value in ChecklistItem._value2member_map_ and not ChecklistItem(value).needs_file
    ]
