"""The buyer's private chat: the one entry point the bot calls for every update.

It loads the saved state, answers the event (commands and menu buttons here, filing steps in
dialogs/filing.py, case look-ups in dialogs/status.py), saves the new state and returns the
replies. It never commits: the bot commits once the replies are built, then sends them.
"""

from __future__ import annotations

from dataclasses import dataclass

from cases.ports import UnitOfWork
from dialogs import callbacks as cb
from dialogs import deep_links, erasure
from dialogs.case_actions import evidence_buttons, waiting_for_evidence
from dialogs.context import DialogEnv, Turn, UserCtx
from dialogs.draft import FilingDraft
from dialogs.filing import advance
from dialogs.filing_prompts import ask
from dialogs.language import locale_for
from dialogs.menu import ask_language, offer_resume, set_language, show_help, show_menu
from dialogs.session import Session, dump_session, parse_session
from dialogs.sides import SIDE_DIALOGS
from dialogs.status import answer_status, ask_case_no, case_buttons, looks_like_case_no, my_cases
from dialogs.types import ButtonIn, CommandIn, Event, FileIn, OtherIn, Reply, TextIn

DEEP_LINK_COMPLAIN = deep_links.PREFIX

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
        await _command(turn, session, event)
    elif isinstance(event, ButtonIn) and await _global_button(turn, session, event.data):
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


async def _resume(turn: Turn, session: Session) -> None:
    """After an aside (help, a status look-up), asks the open filing question again."""
    if session.draft is not None:
        await ask(turn, session.draft)


async def _command(turn: Turn, session: Session, command: CommandIn) -> None:
    name, args = command.name, command.args.strip()
    asking_case_no = False
    if name == "cancel":
        if session.draft is not None:
            session.draft = await advance(turn, session.draft, ButtonIn(cb.CANCEL))
        elif session.awaiting_case_no:
            turn.say("menu.cancelled", cb.main_menu())
        else:
            turn.say("menu.nothing_to_cancel", cb.main_menu())
    elif name == "start" and args.startswith(DEEP_LINK_COMPLAIN):
        await _complain_link(turn, session, args.removeprefix(DEEP_LINK_COMPLAIN))
    elif name == "start":
        if session.draft is not None:
            offer_resume(turn, session.draft)
        else:
            show_menu(turn)
    elif name == "complain":
        await _complain(turn, session, args)
    elif name == "status" and args:
        await answer_status(turn, args)
        await _resume(turn, session)
    elif name == "status":
        if session.draft is not None:
            turn.say("status.usage")
            await _resume(turn, session)
        else:
            ask_case_no(turn)
            asking_case_no = True
    elif name == "mycases":
        await my_cases(turn)
        await _resume(turn, session)
    elif name == "help":
        show_help(turn)
        await _resume(turn, session)
    elif name == "privacy":
        turn.say(
            "privacy.info",
            max_files=turn.policy.max_evidence_files,
            inbox_days=turn.env.inbox_retention_days,
            outbox_days=turn.env.outbox_retention_days,
        )
        await _resume(turn, session)
    elif name == "deletemydata":
        await erasure.ask(turn, session)
    elif name == "language":
        ask_language(turn)
    else:
        turn.say("error.unknown_command", command=name)
        if session.draft is None:
            show_menu(turn)
        await _resume(turn, session)
    session.awaiting_case_no = asking_case_no


async def _complain(turn: Turn, session: Session, order_text: str) -> None:
    """Starts a complaint (for the order, if given), or offers to continue the open one."""
    order_text = order_text.strip()
    draft = session.draft
    if draft is not None and (not order_text or order_text == draft.order_no):
        if order_text:
            await ask(turn, draft)
        else:
            offer_resume(turn, draft)
        return
    if draft is not None and draft.order_no is not None:
        turn.say("filing.draft_replaced", order_no=draft.order_no)
    fresh = FilingDraft(started_at=turn.now)
    if order_text:
        session.draft = await advance(turn, fresh, TextIn(order_text))
    else:
        session.draft = fresh
        await ask(turn, fresh)


async def _complain_link(turn: Turn, session: Session, rest: str) -> None:
    """Starts a complaint from the platform's link when its signature holds."""
    secret = turn.env.deep_link_secret
    if secret is None:
        # No DEEP_LINK_SECRET: the link is taken as it comes (the bot warned at start).
        await _complain(turn, session, rest)
        return
    link = deep_links.check(secret, rest.strip(), turn.now)
    if link.order_no is None:
        # Nothing names the order: an edited link must not even hint whether it exists.
        turn.say("filing.link_invalid", cb.main_menu(), expired=link.expired)
        await _resume(turn, session)
        return
    await _complain(turn, session, link.order_no)


async def _global_button(turn: Turn, session: Session, data: str) -> bool:
    """Answers the buttons that mean the same in every state; False for the others."""
    locale = cb.suffix(data, cb.LANGUAGE)
    case_no = cb.suffix(data, cb.CASE)
    if data == cb.MENU_COMPLAIN:
        await _complain(turn, session, "")
    elif data == cb.MENU_MYCASES:
        await my_cases(turn)
        await _resume(turn, session)
    elif data == cb.MENU_LANGUAGE:
        ask_language(turn)
    elif data == cb.MENU_HELP:
        show_help(turn)
        await _resume(turn, session)
    elif data == cb.MENU_HOME:
        show_menu(turn)
        await _resume(turn, session)
    elif locale is not None:
        if not await set_language(turn, locale):
            turn.say("error.stale_button")
        if session.draft is None:
            show_menu(turn)
        await _resume(turn, session)
    elif case_no is not None:
        await answer_status(turn, case_no)
        await _resume(turn, session)
    elif data.startswith(cb.ERASE) and await erasure.press(turn, session, data):
        if not turn.forget_session:
            await _resume(turn, session)
    elif data == cb.RESUME and session.draft is not None:
        await ask(turn, session.draft)
    elif data == cb.RESTART:
        session.draft = None
        await _complain(turn, session, "")
    elif data == cb.SUBMIT and session.draft is None and session.last_case_no is not None:
        # Submit pressed again (or a second time from another message): one case only.
        turn.say(
            "filing.already_submitted",
            case_buttons(session.last_case_no),
            case_no=session.last_case_no,
        )
    else:
        return False
    session.awaiting_case_no = False
    return True


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
