"""The buyer's private chat: the one entry point the bot calls for every update.

It loads the saved state, answers the event, saves the new state and returns the replies. The
side dialogs (dialogs/sides.py) answer first; then the buyer's commands and the buttons that
mean the same in every state, from the two tables of dialogs/buyer_routes.py; then the filing
step (dialogs/filing.py), or the idle answers below when no complaint is open. It never
commits: the bot commits once the replies are built, then sends them.
"""

from __future__ import annotations

from dataclasses import dataclass

from cases.ports import UnitOfWork
from dialogs import buyer_routes as routes
from dialogs import callbacks as cb
from dialogs.case_actions import evidence_buttons, waiting_for_evidence
from dialogs.context import DialogEnv, Turn, UserCtx
from dialogs.filing import advance
from dialogs.filing_prompts import ask
from dialogs.language import locale_for
from dialogs.session import Session, dump_session, parse_session
from dialogs.sides import SIDE_DIALOGS
from dialogs.status import answer_status, looks_like_case_no
from dialogs.types import ButtonIn, CommandIn, Event, FileIn, OtherIn, Reply, TextIn

__all__ = ["Answered", "DialogEnv", "UserCtx", "handle", "locale_for"]


@dataclass(frozen=True)
class Answered:
    """A turn's replies and the language to write them in."""

    replies: list[Reply]
    locale: str


async def handle(event: Event, user: UserCtx, uow: UnitOfWork, env: DialogEnv) -> Answered:
    """Answers one update: at least one reply, except for the later files of an album."""
    turn = Turn.start(user, uow, env)
    # Settled before the event is handled: /deletemydata removes the profile that holds it.
    turn.locale = await locale_for(uow, user)
    session = await _load(turn)
    repeated = user.update_id is not None and session.last_update_id == user.update_id
    if repeated and session.draft is not None:
        # Telegram delivered this update again: its effect is already in the draft.
        await ask(turn, session.draft)
        return Answered(turn.replies, turn.locale)
    turn.pending = session.pending
    await _dispatch(turn, session, event)
    session.pending = turn.pending
    session.last_update_id = user.update_id
    if turn.submitted_case_no is not None:
        session.last_case_no = turn.submitted_case_no
    if turn.forget_session:
        # The user's data was removed: a fresh start, nothing saved.
        return Answered(turn.replies, turn.locale)
    await uow.drafts.save(user.user_id, dump_session(session), turn.now)
    return Answered(turn.replies, turn.locale)


async def _load(turn: Turn) -> Session:
    raw = await turn.uow.drafts.load(turn.user.user_id)
    if raw is None:
        return Session()
    session = parse_session(raw)
    if session is None:
        turn.say("error.draft_lost")
        return Session()
    return session


async def _dispatch(turn: Turn, session: Session, event: Event) -> None:
    if await _side_dialogs(turn, event):
        return
    if isinstance(event, CommandIn):
        await routes.answer_command(turn, session, event)
    elif isinstance(event, ButtonIn) and await routes.answer_button(turn, session, event.data):
        return
    elif session.draft is not None:
        session.draft = await advance(turn, session.draft, event)
    else:
        await _idle(turn, session, event)


async def _side_dialogs(turn: Turn, event: Event) -> bool:
    """Gives the staff, merchant and case-action conversations their turn first.

    An owed answer is taken in the chat where it was asked; /cancel drops it. Commands and
    buttons go to whichever side dialog knows them; filing gets everything else.
    """
    pending = turn.pending
    if pending is not None and pending.chat_id == turn.user.chat:
        if isinstance(event, CommandIn) and event.name == "cancel":
            turn.pending = None
            turn.say("side.input_dropped", case_no=pending.case_no)
            return True
        for side in SIDE_DIALOGS:
            if side.kind == pending.kind and await side.answer(turn, pending, event):
                return True
    for side in SIDE_DIALOGS:
        if isinstance(event, CommandIn) and await side.command(turn, event):
            return True
        if isinstance(event, ButtonIn) and await side.button(turn, event.data):
            return True
    return False


async def _idle(turn: Turn, session: Session, event: Event) -> None:
    """Answers an event when no complaint is being filed."""
    if isinstance(event, TextIn):
        if session.awaiting_case_no or looks_like_case_no(event.text) is not None:
            if await answer_status(turn, event.text):
                session.awaiting_case_no = False
        else:
            turn.say("menu.unknown_text", cb.main_menu())
    elif isinstance(event, FileIn):
        # A file sent outside an upload is not kept; a case waiting for evidence is where it goes.
        waiting = await waiting_for_evidence(turn)
        if waiting:
            cases = [case.case_no for case in waiting]
            turn.say("menu.file_evidence_waiting", evidence_buttons(waiting), cases=cases)
        else:
            turn.say("menu.file_without_case", cb.main_menu())
    elif isinstance(event, OtherIn):
        edited = event.kind == "edited_message"
        turn.say("error.edited_message" if edited else "menu.unsupported", cb.main_menu())
    else:
        turn.say("error.stale_button", cb.main_menu())
