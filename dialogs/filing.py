"""The filing conversation as one transition table: step → accepted input → handler → next steps.

The diagram in `filing.md` beside this file draws the same table (a test keeps them in step).
Commands (/cancel, /start, /status …) are not inputs of a step: dialogs/buyer.py answers them
for every state. Whatever a step does not accept gets a hint and the step's question again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from dialogs import callbacks as cb
from dialogs import filing_evidence as evidence
from dialogs import filing_steps as steps
from dialogs.context import Turn
from dialogs.draft import EditField, FilingDraft, Flow, Next, Step
from dialogs.filing_prompts import ask
from dialogs.types import ButtonIn, Event, FileIn, OtherIn, TextIn

__all__ = ["ANY_STEP", "TABLE", "FilingDraft", "Flow", "Route", "Step", "advance", "routes_for"]

T = TypeVar("T")
STAY, END = Flow.STAY, Flow.END


@dataclass(frozen=True)
class On(Generic[T]):
    """An input a step accepts, and how its argument is taken out of the event."""

    kind: str  # "text", "file" or "button": what the fallback hint talks about
    label: str  # for the diagram and the test of the table
    take: Callable[[Event], T | None]


def text() -> On[str]:
    return On("text", "text", lambda e: e.text if isinstance(e, TextIn) else None)


def file() -> On[FileIn]:
    return On("file", "file", lambda e: e if isinstance(e, FileIn) else None)


def button(data: str) -> On[str]:
    label = f"{data}*" if data.endswith(":") else data
    return On(
        "button", label, lambda e: cb.suffix(e.data, data) if isinstance(e, ButtonIn) else None
    )


@dataclass(frozen=True)
class Route(Generic[T]):
    on: On[T]
    handler: Callable[[Turn, FilingDraft, T], Awaitable[Next]]
    goes_to: frozenset[Next]


def route(
    on: On[T], handler: Callable[[Turn, FilingDraft, T], Awaitable[Next]], *goes_to: Next
) -> Route[T]:
    return Route(on, handler, frozenset(goes_to))


# fmt: off
S = Step
EVERY_STEP = frozenset(Step)
# Editing from the summary ends at the summary, or at the first answer the change invalidated.
TOWARDS_SUMMARY = frozenset(
    {S.REASON, S.DESCRIPTION, S.EVIDENCE, S.REFUND_KIND, S.REFUND_AMOUNT, S.REFUND_METHOD,
     S.SUMMARY}
)

TABLE: dict[Step, tuple[Route[Any], ...]] = {
    S.ORDER_NO: (
        route(text(), steps.take_order_no, S.OWNERSHIP, STAY, S.ORDER_NO, *TOWARDS_SUMMARY),
    ),
    S.OWNERSHIP: (
        route(text(), steps.take_account, S.REASON, STAY, S.ORDER_NO, *TOWARDS_SUMMARY),
    ),
    S.REASON: (
        route(button(cb.REASON), steps.take_reason, S.DESCRIPTION, S.REASON, S.ORDER_NO,
              *TOWARDS_SUMMARY),
    ),
    S.DESCRIPTION: (
        route(text(), steps.take_description, S.EVIDENCE, STAY, *TOWARDS_SUMMARY),
        route(button(cb.KEEP), steps.keep_description, S.EVIDENCE, S.DESCRIPTION,
              *TOWARDS_SUMMARY),
    ),
    S.EVIDENCE: (
        route(file(), evidence.take_file, STAY),
        route(button(cb.DONE), evidence.finish_evidence, S.REFUND_KIND, STAY, *TOWARDS_SUMMARY),
        route(button(cb.CLEAR_EVIDENCE), evidence.clear_evidence, S.EVIDENCE),
        route(button(cb.TICK), evidence.tick_item, STAY, S.EVIDENCE),
    ),
    S.REFUND_KIND: (
        route(button(cb.REFUND), steps.take_refund_kind, S.REFUND_AMOUNT, S.REFUND_METHOD,
              S.REFUND_KIND, *TOWARDS_SUMMARY),
    ),
    S.REFUND_AMOUNT: (
        route(text(), steps.take_amount, S.REFUND_METHOD, STAY, S.ORDER_NO, *TOWARDS_SUMMARY),
        route(button(cb.KEEP), steps.keep_amount, S.REFUND_METHOD, S.REFUND_AMOUNT,
              *TOWARDS_SUMMARY),
    ),
    S.REFUND_METHOD: (
        route(button(cb.METHOD), steps.take_method, S.SUMMARY, S.REFUND_METHOD, S.ORDER_NO,
              *TOWARDS_SUMMARY),
    ),
    S.SUMMARY: (
        route(button(cb.EDIT), steps.edit_field, *(field.step for field in EditField),
              S.SUMMARY),
        route(button(cb.SUBMIT), steps.submit, END, S.ORDER_NO, S.OWNERSHIP, *TOWARDS_SUMMARY),
    ),
}

# Accepted at every step, after the step's own routes.
ANY_STEP: tuple[Route[Any], ...] = (
    route(button(cb.BACK), steps.go_back, END, *EVERY_STEP),
    route(button(cb.CANCEL), steps.cancel, END),
)
# fmt: on


def routes_for(step: Step) -> tuple[Route[Any], ...]:
    return (*TABLE[step], *ANY_STEP)


@dataclass(frozen=True)
class Transition:
    """What one event did, for tests that check the table: from, input, to."""

    step: Step
    input: str
    to: Next


async def advance(
    turn: Turn, draft: FilingDraft, event: Event, trace: list[Transition] | None = None
) -> FilingDraft | None:
    """Answers one event of the filing; returns the draft at its new step, None when over."""
    before = draft.step
    for candidate in routes_for(before):
        arg = candidate.on.take(event)
        if arg is not None:
            outcome = await candidate.handler(turn, draft, arg)
            if trace is not None:
                trace.append(Transition(before, candidate.on.label, outcome))
            return await settle(turn, draft, outcome)
    await unexpected(turn, draft, event)
    if trace is not None:
        trace.append(Transition(before, "unexpected", STAY))
    return draft


async def settle(turn: Turn, draft: FilingDraft, outcome: Next) -> FilingDraft | None:
    """Moves the draft to the handler's next step and asks that step's question."""
    if outcome is END:
        return None
    if isinstance(outcome, Step):
        draft.step = outcome
        if outcome is Step.SUMMARY:
            draft.editing = False
        await ask(turn, draft)
    return draft


async def unexpected(turn: Turn, draft: FilingDraft, event: Event) -> None:
    """Says what this step expects instead, then asks its question again."""
    kinds = {candidate.on.kind for candidate in TABLE[draft.step]}
    if isinstance(event, ButtonIn):
        turn.say("error.stale_button")
    elif isinstance(event, OtherIn):
        edited = event.kind == "edited_message"
        turn.say("error.edited_message" if edited else "error.unsupported_input")
    elif isinstance(event, TextIn):
        turn.say("filing.evidence_expected" if "file" in kinds else "error.use_buttons")
    elif isinstance(event, FileIn):
        turn.say("error.file_not_expected" if "text" in kinds else "error.use_buttons")
    else:
        turn.say("error.unknown_command", command=event.name)
    await ask(turn, draft)
