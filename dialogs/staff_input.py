"""What a staff move asks for besides the press: the case number, a text or an amount."""

from __future__ import annotations

from cases.lifecycle import cap_rule, refund_cap
from cases.money import MoneyFormatError, parse_amount
from dialogs.context import Turn
from dialogs.pending import PendingInput
from dialogs.staff_actions import Move, load_case, parse_case_no, precheck

KIND = "staff"


async def case_arg(turn: Turn, text: str, command: str) -> str | None:
    if not text.strip():
        turn.say(f"staff.usage.{command}")
        return None
    return parse_case_no(turn, text)


async def ask(turn: Turn, case_no: str, move: Move) -> None:
    """Asks for the text or amount the move needs; the user's next message here answers."""
    case = await load_case(turn, case_no)
    if case is None or not await precheck(turn, case, move):
        return
    turn.pending = PendingInput(
        kind=KIND, action=move.name, case_no=case_no, chat_id=turn.user.chat, asked_at=turn.now
    )
    turn.say(
        f"staff.ask.{move.name}",
        case_no=case_no,
        requested=case.refund_amount,
        cap=refund_cap(case, turn.env.policy),
        cap_rule=cap_rule(case, turn.env.policy),
        currency=case.currency,
    )


def amount_in(turn: Turn, text: str) -> int | None:
    """Parses an amount exactly (fen); says what is wrong and returns None otherwise."""
    try:
        amount = parse_amount(text)
    except MoneyFormatError:
        turn.say("staff.bad_amount", text=text[:40])
        return None
    if amount <= 0:
        turn.say("staff.bad_amount", text=text[:40])
        return None
    return amount
