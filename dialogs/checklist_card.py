"""The staff card's checklist block: what the buyer ticked at filing, and what is missing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cases.checklist import from_event_extra
from cases.filing import SUBMIT_ACTION
from cases.model import CaseEvent
from dialogs.filing_checklist import checklist_params


def checklist_block(events: Sequence[CaseEvent]) -> list[dict[str, Any]]:
    """The items the submit event recorded (texts `checklist.staff`); none for older cases."""
    first = next((event for event in events if event.action == SUBMIT_ACTION), None)
    recorded = None if first is None else from_event_extra(first.extra)
    return checklist_params(recorded or [])
