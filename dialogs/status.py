"""\"Where is my case?\": /status, a bare case number, /mycases and the case buttons.

Only the buyer who filed a case, and staff, see it. Everyone else gets exactly the answer a
number that does not exist gets, so case numbers cannot be probed.
"""

from __future__ import annotations

from datetime import datetime

from cases.filing import case_for_viewer, recent_cases
from cases.model import Case, is_open
from cases.numbering import normalize_case_number
from dialogs import callbacks as cb
from dialogs.case_lookup import lookups_paused, record_miss
from dialogs.checklist_card import checklist_block
from dialogs.context import ButtonRows, Turn
from dialogs.notices_buyer import buyer_buttons

MY_CASES_LIMIT = 10
# A case number with spaces or a full-width dash is still short; longer text is not one.
_MAX_CASE_NO_TEXT = 40


def case_buttons(case_no: str) -> ButtonRows:
    return ((cb.button("btn.case", cb.CASE + case_no, case_no=case_no),),)


def looks_like_case_no(text: str) -> str | None:
    """Returns the case number a message consists of, or None."""
    if len(text) > _MAX_CASE_NO_TEXT:
        return None
    return normalize_case_number(text.replace(" ", ""))


def next_deadline(case: Case) -> datetime | None:
    """Returns the case's next deadline, or None for a decided case."""
    if not is_open(case.status):
        return None
    return case.next_deadline_at or case.review_due_at


def show_case(turn: Turn, case: Case, missing: list[str] | None = None) -> None:
    """Shows the case; its own buyer also gets the moves open to them now (withdraw, escalate …).

    `missing`: the checklist items the buyer had not ticked at filing, while the case is open.
    """
    moves = buyer_buttons(case) if case.buyer_id == turn.user.user_id else ()
    turn.say(
        "status.case",
        moves,
        case_no=case.case_no,
        status=case.status.value,
        order_no=case.order_no,
        reason=case.reason.value,
        refund_amount=case.refund_amount,
        currency=case.currency,
        refund_method=case.refund_method.value,
        evidence_count=case.evidence_count,
        created_at=case.created_at,
        updated_at=case.updated_at,
        next_deadline=next_deadline(case),
        missing=missing or [],
    )


async def still_missing(turn: Turn, case: Case) -> list[str]:
    """The checklist items the buyer left unticked at filing, for the buyer of an open case."""
    if case.buyer_id != turn.user.user_id or not is_open(case.status):
        return []
    events = await turn.uow.events.list(case.case_no)
    return [item["item"] for item in checklist_block(events) if not item["given"]]


def ask_case_no(turn: Turn) -> None:
    turn.say("status.ask")


async def answer_status(turn: Turn, text: str) -> bool:
    """Shows the case the text names; False (after saying so) when the text is no case number."""
    case_no = looks_like_case_no(text)
    if case_no is None:
        turn.say("status.bad_number")
        return False
    if await lookups_paused(turn):
        return True
    case = await case_for_viewer(turn.uow, turn.user.user_id, case_no)
    if case is None:
        await record_miss(turn)
        turn.say("status.not_found", case_no=case_no)
    else:
        show_case(turn, case, await still_missing(turn, case))
    return True


async def my_cases(turn: Turn) -> None:
    """Lists the buyer's latest cases with their status and next deadline."""
    cases = await recent_cases(turn.uow, turn.user.user_id, MY_CASES_LIMIT)
    if not cases:
        turn.say("status.mycases_empty", ((cb.button("btn.complain", cb.MENU_COMPLAIN),),))
        return
    items = [
        {
            "case_no": case.case_no,
            "status": case.status.value,
            "order_no": case.order_no,
            "created_at": case.created_at,
            "next_deadline": next_deadline(case),
        }
        for case in cases
    ]
    buttons = tuple(row for case in cases for row in case_buttons(case.case_no))
    turn.say("status.mycases", buttons, cases=items, count=len(items))
