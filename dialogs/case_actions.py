"""A buyer's actions on a filed case, in private chat: the `b:` buttons on notices and /evidence.

Only the case's buyer acts on it: any other case number (someone else's, or none at all) gets
the answer /status gives for an unknown number. Every press goes through
`cases.workflow.perform`, which re-checks the status and the windows, so a stale or repeated
press changes nothing and says why.

| input                        | answer                                                     |
|------------------------------|------------------------------------------------------------|
| /evidence                    | the buyer's cases waiting for evidence, a button each      |
| /evidence N, b:ev:N          | asks for files (dialogs/case_evidence.py)                  |
| file (while asked)           | kept, or refused with the reason (filing's rules)          |
| b:evd:N                      | files recorded, supply_evidence → in_review                |
| b:evx:N, /cancel             | the upload is dropped                                      |
| b:acc:N / b:dec:N            | accept_offer → refund_pending / decline_offer              |
| b:esc:N                      | escalate → in_arbitration (within the window)              |
| b:wd:N → b:wdy:N             | asks to confirm, then withdraw → withdrawn                 |
| b:file:N                     | the case file (dialogs/case_file.py)                       |
| b:dos:N                      | the dossier ZIP, built by a job (dialogs/dossier.py)       |
| b:rate:N:S, b:rsk:N          | a satisfaction rating and its comment (dialogs/case_rating.py) |

```mermaid
stateDiagram-v2
    [*] --> idle
    idle --> uploading: b:ev / /evidence N (case awaits evidence)
    uploading --> uploading: file (kept or refused) / text (reminder)
    uploading --> idle: b:evd with files (supply_evidence)
    uploading --> idle: b:evx / /cancel / a new complaint
    idle --> confirming: b:wd
    confirming --> idle: b:wdy (withdraw) / anything else
    idle --> idle: b:acc / b:dec / b:esc / b:file / b:dos
```
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from cases.filing import recent_cases
from cases.lifecycle import Action, Refusal, rule_for
from cases.model import Case, CaseStatus
from cases.ratings import valid_score
from dialogs import callbacks as cb
from dialogs import case_evidence, case_rating, deep_links
from dialogs.case_file import send_case_file
from dialogs.case_lookup import lookups_paused, record_miss
from dialogs.case_moves import case_no_in, run_move, say_not_found, say_refusal
from dialogs.context import ButtonRows, Turn
from dialogs.dossier import buyer_dossier
from dialogs.pending import PendingInput
from dialogs.types import ButtonIn, CommandIn, Event, FileIn

KIND: Final = case_evidence.KIND
BUYER_PREFIX: Final = "b:"
# How many of the buyer's latest cases /evidence looks through for those awaiting evidence.
RECENT_LIMIT: Final = 20


async def buyer_case(turn: Turn, case_no: str) -> Case | None:
    """Returns the case if this user filed it; else says "not found", as /status would."""
    if await lookups_paused(turn):
        return None
    case = await turn.uow.cases.get(case_no)
    if case is None or case.buyer_id != turn.user.user_id:
        await record_miss(turn)
        say_not_found(turn, case_no)
        return None
    return case


def _starts_a_complaint(event: Event) -> bool:
    """A new complaint takes the chat's files, so an upload for a case ends there."""
    if isinstance(event, CommandIn):
        args = event.args.strip()
        return event.name == "complain" or (
            event.name == "start" and args.startswith(deep_links.PREFIX)
        )
    if isinstance(event, ButtonIn):
        return event.data == cb.MENU_COMPLAIN or event.data.startswith("f:")
    return False


class BuyerCaseDialog:
    """The buyer's case-action side dialog (dialogs/sides.py)."""

    kind = KIND

    async def command(self, turn: Turn, command: CommandIn) -> bool:
        if command.name != "evidence":
            return False
        args = command.args.strip()
        if not args:
            await _list_awaiting(turn)
            return True
        case_no = case_no_in(args)
        if case_no is None:
            turn.say("case.bad_number")
            return True
        case = await buyer_case(turn, case_no)
        if case is not None:
            await case_evidence.start(turn, case)
        return True

    async def button(self, turn: Turn, data: str) -> bool:
        if not data.startswith(BUYER_PREFIX):
            return False
        cancelled = cb.suffix(data, cb.BUYER_EVIDENCE_CANCEL)
        if cancelled is not None:
            # Nothing to look up: it only drops this chat's own upload, if there is one.
            case_evidence.cancel(turn, case_no_in(cancelled))
            return True
        rated = cb.suffix(data, cb.BUYER_RATE)
        if rated is not None:
            rated_case, _, score_text = rated.rpartition(":")
            await _rate(turn, case_no_in(rated_case), valid_score(score_text))
            return True
        for prefix, handler in _BUTTONS:
            case_text = cb.suffix(data, prefix)
            if case_text is None:
                continue
            case_no = case_no_in(case_text)
            if case_no is None:
                turn.say("error.stale_button")
            else:
                case = await buyer_case(turn, case_no)
                if case is not None:
                    await handler(turn, case)
            return True
        turn.say("error.stale_button")
        return True

    async def answer(self, turn: Turn, pending: PendingInput, event: Event) -> bool:
        """Takes the files of an evidence upload; commands and other buttons run as usual."""
        if pending.action == case_rating.COMMENT:
            return await case_rating.answer(turn, pending, event)
        if pending.action != case_evidence.EVIDENCE:
            turn.pending = None
            return False
        if _starts_a_complaint(event):
            case_evidence.drop(turn, pending)
            return False
        if isinstance(event, CommandIn | ButtonIn):
            return False  # /status, /help, a notice's button …: the upload stays open
        if isinstance(event, FileIn):
            await case_evidence.take_file(turn, pending, event)
        else:
            case_evidence.expect_files(turn, pending)
        return True


async def waiting_for_evidence(turn: Turn) -> list[Case]:
    """The buyer's recent cases that wait for more evidence."""
    cases = await recent_cases(turn.uow, turn.user.user_id, RECENT_LIMIT)
    return [case for case in cases if case.status is CaseStatus.AWAITING_EVIDENCE]


def evidence_buttons(waiting: list[Case]) -> ButtonRows:
    """One "add evidence to this case" button per waiting case."""
    return tuple(
        (cb.button("case.btn.evidence_for", cb.BUYER_EVIDENCE + c.case_no, case_no=c.case_no),)
        for c in waiting
    )


async def _list_awaiting(turn: Turn) -> None:
    """Lists the buyer's cases that wait for evidence, each with its button."""
    waiting = await waiting_for_evidence(turn)
    if not waiting:
        turn.say("case.evidence_none_waiting")
        return
    items = [
        {"case_no": case.case_no, "order_no": case.order_no, "deadline": case.next_deadline_at}
        for case in waiting
    ]
    turn.say("case.evidence_waiting", evidence_buttons(waiting), cases=items)


async def _rate(turn: Turn, case_no: str | None, score: int | None) -> None:
    if case_no is None or score is None:
        turn.say("error.stale_button")
        return
    case = await buyer_case(turn, case_no)
    if case is not None:
        await case_rating.rate(turn, case, score)


async def _accept(turn: Turn, case: Case) -> None:
    await run_move(turn, case.case_no, Action.ACCEPT_OFFER, "case.done.accept_offer")


async def _decline(turn: Turn, case: Case) -> None:
    await run_move(turn, case.case_no, Action.DECLINE_OFFER, "case.done.decline_offer")


async def _escalate(turn: Turn, case: Case) -> None:
    await run_move(turn, case.case_no, Action.ESCALATE, "case.done.escalate")


async def _confirm_withdraw(turn: Turn, case: Case) -> None:
    """Asks once more: a withdrawn case is over, and the platform stops working on it."""
    if case.status not in rule_for(Action.WITHDRAW).sources:
        say_refusal(turn, case, Refusal.WRONG_STATUS)
        return
    buttons = (
        (cb.button("case.btn.withdraw_yes", cb.BUYER_WITHDRAW_YES + case.case_no),),
        (cb.button("case.btn.withdraw_no", cb.CASE + case.case_no),),
    )
    turn.say(
        "case.confirm_withdraw",
        buttons,
        case_no=case.case_no,
        order_no=case.order_no,
        status=case.status.value,
    )


async def _withdraw(turn: Turn, case: Case) -> None:
    if case_evidence.collecting(turn, case.case_no) is not None:
        turn.pending = None  # the files of an upload for a withdrawn case go nowhere
    await run_move(turn, case.case_no, Action.WITHDRAW, "case.done.withdraw")


_BUTTONS: tuple[tuple[str, Callable[[Turn, Case], Awaitable[None]]], ...] = (
    (cb.BUYER_EVIDENCE, case_evidence.start),
    (cb.BUYER_EVIDENCE_DONE, case_evidence.finish),
    (cb.BUYER_ACCEPT, _accept),
    (cb.BUYER_DECLINE, _decline),
    (cb.BUYER_ESCALATE, _escalate),
    (cb.BUYER_WITHDRAW, _confirm_withdraw),
    (cb.BUYER_WITHDRAW_YES, _withdraw),
    (cb.BUYER_FILE, send_case_file),
    (cb.BUYER_DOSSIER, buyer_dossier),
    (cb.BUYER_RATING_SKIP, case_rating.skip),
)
