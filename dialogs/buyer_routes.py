"""The buyer's commands and the buttons that mean the same in every state, as two tables.

dialogs/buyer.py gives them their turn after the side dialogs and before the filing step. Each
handler takes the turn, the session and the command's argument (a prefixed button's suffix, ""
for the rest). `aside` marks an answer after which the open filing question is asked again; a
command's handler returns Awaits.CASE_NO when the chat now waits for a case number.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum

from dialogs import callbacks as cb
from dialogs import deep_links, erasure
from dialogs.context import Turn
from dialogs.draft import FilingDraft
from dialogs.filing import advance
from dialogs.filing_prompts import ask
from dialogs.menu import ask_language, offer_resume, set_language, show_help, show_menu
from dialogs.session import Session
from dialogs.status import answer_status, ask_case_no, case_buttons, my_cases
from dialogs.types import ButtonIn, CommandIn, TextIn

__all__ = ["BUTTONS", "COMMANDS", "Awaits", "Press", "answer_button", "answer_command"]

DEEP_LINK_COMPLAIN = deep_links.PREFIX


class Awaits(Enum):
    """What the next plain text of the chat is taken as, when it is not a filing answer."""

    CASE_NO = "case_no"


Handler = Callable[[Turn, Session, str], Awaitable[Awaits | None]]


@dataclass(frozen=True)
class Press:
    """A button that means the same in every state, answered when `when` holds."""

    data: str  # the callback data, or its prefix when it ends with ":"
    handler: Handler
    when: Callable[[Session], bool] = lambda _session: True  # most buttons: in every state


def aside(handler: Callable[[Turn, Session, str], Awaitable[None]]) -> Handler:
    """Runs the handler, then asks the open filing question again (unless the data went)."""

    @functools.wraps(handler)
    async def answer_then_resume(turn: Turn, session: Session, arg: str) -> None:
        await handler(turn, session, arg)
        if not turn.forget_session:
            await _resume(turn, session)

    return answer_then_resume


async def _resume(turn: Turn, session: Session) -> None:
    """After an aside (help, a status look-up), asks the open filing question again."""
    if session.draft is not None:
        await ask(turn, session.draft)


async def _cancel(turn: Turn, session: Session, _arg: str) -> None:
    """Cancels the complaint being filed or the question for a case number, if any."""
    if session.draft is not None:
        session.draft = await advance(turn, session.draft, ButtonIn(cb.CANCEL))
    elif session.awaiting_case_no:
        turn.say("menu.cancelled", cb.main_menu())
    else:
        turn.say("menu.nothing_to_cancel", cb.main_menu())


async def _start(turn: Turn, session: Session, args: str) -> None:
    """Shows the menu, offers the open complaint, or starts one from the platform's link."""
    if args.startswith(DEEP_LINK_COMPLAIN):
        await _complain_link(turn, session, args.removeprefix(DEEP_LINK_COMPLAIN))
    elif session.draft is not None:
        offer_resume(turn, session.draft)
    else:
        show_menu(turn)


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


async def _status(turn: Turn, session: Session, case_no: str) -> Awaits | None:
    """Shows the case named, or asks for its number (during filing: says how to give it)."""
    if case_no:
        await answer_status(turn, case_no)
    elif session.draft is not None:
        turn.say("status.usage")
    else:
        ask_case_no(turn)
        return Awaits.CASE_NO
    await _resume(turn, session)
    return None


async def _show_case(turn: Turn, _session: Session, case_no: str) -> None:
    """Shows the case whose button was pressed."""
    await answer_status(turn, case_no)


async def _my_cases(turn: Turn, _session: Session, _arg: str) -> None:
    """Lists the buyer's latest cases."""
    await my_cases(turn)


async def _help(turn: Turn, _session: Session, _arg: str) -> None:
    """Shows the commands and the platform's rules."""
    show_help(turn)


async def _home(turn: Turn, _session: Session, _arg: str) -> None:
    """Shows the main menu."""
    show_menu(turn)


async def _privacy(turn: Turn, _session: Session, _arg: str) -> None:
    """Says what data is kept, and for how long."""
    turn.say(
        "privacy.info",
        max_files=turn.policy.max_evidence_files,
        inbox_days=turn.env.inbox_retention_days,
        outbox_days=turn.env.outbox_retention_days,
    )


async def _delete_my_data(turn: Turn, session: Session, _arg: str) -> None:
    """Asks the buyer to confirm removing their personal data."""
    await erasure.ask(turn, session)


async def _language(turn: Turn, _session: Session, _arg: str) -> None:
    """Offers the languages."""
    ask_language(turn)


async def _set_language(turn: Turn, session: Session, locale: str) -> None:
    """Saves the chosen language (a stale choice is refused) and shows the menu outside filing."""
    if not await set_language(turn, locale):
        turn.say("error.stale_button")
    if session.draft is None:
        show_menu(turn)


async def _unknown_command(turn: Turn, session: Session, name: str) -> None:
    """Says the command is unknown, with the menu outside filing."""
    turn.say("error.unknown_command", command=name)
    if session.draft is None:
        show_menu(turn)


async def _continue(turn: Turn, session: Session, _arg: str) -> None:
    """Asks the open filing question again."""
    await _resume(turn, session)


async def _restart(turn: Turn, session: Session, _arg: str) -> None:
    """Drops the saved complaint and starts a new one."""
    session.draft = None
    await _complain(turn, session, "")


async def _already_submitted(turn: Turn, session: Session, _arg: str) -> None:
    """Shows the case the chat just filed: Submit pressed again files nothing more."""
    case_no = session.last_case_no
    if case_no is not None:  # as the table's condition (_just_submitted) says
        turn.say("filing.already_submitted", case_buttons(case_no), case_no=case_no)


def _filing(session: Session) -> bool:
    return session.draft is not None


def _just_submitted(session: Session) -> bool:
    return session.draft is None and session.last_case_no is not None


# The buyer's commands; bot/commands.py publishes the same list as Telegram's menu, and /help
# names each (a test keeps the three in step). Side dialogs take theirs (/evidence) first.
COMMANDS: dict[str, Handler] = {
    "start": _start,
    "complain": _complain,
    "status": _status,
    "mycases": aside(_my_cases),
    "cancel": _cancel,
    "help": aside(_help),
    "privacy": aside(_privacy),
    "deletemydata": _delete_my_data,
    "language": _language,
}

# Tried in order; the first whose data matches and whose condition holds answers the press.
# A press none answers goes to the filing step, or is a stale button.
BUTTONS: tuple[Press, ...] = (
    Press(cb.MENU_COMPLAIN, _complain),
    Press(cb.MENU_MYCASES, aside(_my_cases)),
    Press(cb.MENU_LANGUAGE, _language),
    Press(cb.MENU_HELP, aside(_help)),
    Press(cb.MENU_HOME, aside(_home)),
    Press(cb.LANGUAGE, aside(_set_language)),
    Press(cb.CASE, aside(_show_case)),
    Press(cb.ERASE_KEEP, aside(erasure.keep)),
    Press(cb.ERASE_CONFIRM, aside(erasure.confirm)),
    Press(cb.RESUME, _continue, when=_filing),
    Press(cb.RESTART, _restart),
    # Submit pressed again (or a second time from another message): one case only.
    Press(cb.SUBMIT, _already_submitted, when=_just_submitted),
)


async def answer_command(turn: Turn, session: Session, command: CommandIn) -> None:
    """Answers a command from the table; an unknown one is said to be so."""
    handler = COMMANDS.get(command.name)
    if handler is None:
        await aside(_unknown_command)(turn, session, command.name)
        session.awaiting_case_no = False
        return
    awaits = await handler(turn, session, command.args.strip())
    session.awaiting_case_no = awaits is Awaits.CASE_NO


async def answer_button(turn: Turn, session: Session, data: str) -> bool:
    """Answers the buttons that mean the same in every state; False for the others."""
    for press in BUTTONS:
        arg = cb.suffix(data, press.data)
        if arg is not None and press.when(session):
            await press.handler(turn, session, arg)
            session.awaiting_case_no = False
            return True
    return False
