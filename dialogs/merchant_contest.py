"""The merchant contests an instant refund: the button, the explanation, the move.

Pressed on the notice that the instant refund was paid (`mc:con:N`), it asks for the reason
(proof of delivery, for one); the answer reopens the review (`merchant_contest`). The window and
the "once only" rule are checked before asking and again by the lifecycle when the answer comes.
"""

from __future__ import annotations

from typing import Final

from cases.instant_rule import contest_refusal
from cases.lifecycle import Action, Refusal
from cases.model import Case, CaseStatus
from dialogs.case_moves import run_move, say_refusal
from dialogs.context import Turn
from dialogs.pending import PendingInput

CONTEST: Final = "contest"


async def ask_contest(turn: Turn, case: Case, kind: str, note_min: int, note_max: int) -> None:
    """Asks why the merchant contests, if they still may."""
    refusal: Refusal | None = Refusal.WRONG_STATUS
    if case.status is CaseStatus.REFUNDED:
        events = await turn.uow.events.list(case.case_no)
        refusal = contest_refusal(events, turn.now, turn.policy, turn.env.calendar)
    if refusal is not None:
        say_refusal(turn, case, refusal)
        return
    turn.pending = PendingInput(
        kind=kind, action=CONTEST, case_no=case.case_no, chat_id=turn.user.chat, asked_at=turn.now
    )
    turn.say(
        "merchant.ask_contest",
        case_no=case.case_no,
        min=note_min,
        max=note_max,
        amount=case.approved_amount,
        currency=case.currency,
    )


def note_fits(turn: Turn, case: Case, text: str, note_min: int, note_max: int) -> bool:
    """Whether the merchant's explanation can be used; if not, says why (the question stays)."""
    if not text:
        turn.say("merchant.expect_note", case_no=case.case_no)
    elif len(text) < note_min:
        turn.say("merchant.note_too_short", length=len(text), min=note_min)
    elif len(text) > note_max:
        turn.say("merchant.note_too_long", length=len(text), max=note_max)
    else:
        return True
    return False


async def take_contest(turn: Turn, case: Case, text: str, note_min: int, note_max: int) -> None:
    """Contests with the explanation, or says it is too short or too long and keeps asking."""
    if note_fits(turn, case, text, note_min, note_max):
        turn.pending = None
        await run_move(
            turn, case.case_no, Action.MERCHANT_CONTEST, "merchant.done.contest", note=text
        )
