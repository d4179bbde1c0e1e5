"""Staff work cases in Telegram: commands and `st:` buttons in the staff group or in private.

In a private chat `StaffDialog` is a side dialog (dialogs/sides.py) that the buyer dialog asks
first; in the staff group `handle_group` is the entry point. Both load the same per-user session,
so a reason or an amount the bot asked for is taken from the next message of that user in the
chat where it was asked. Each press and command re-reads the user's role and the case.

| input                              | needs role       | answer                               |
|------------------------------------|------------------|--------------------------------------|
| /case N, st:card:N                 | any staff        | card + timeline (internal notes too) |
| /queue                             | any staff        | open cases, nearest deadline first   |
| st:ev:N                            | any staff        | each evidence file re-sent           |
| st:dos:N                           | any staff        | the dossier ZIP (dialogs/dossier.py) |
| /take N, st:take:N                 | lifecycle RULES  | assigned, in review                  |
| /assign N ID                       | lifecycle RULES  | assigned to ID                       |
| /request N what, st:req:N → text   | lifecycle RULES  | awaiting evidence                    |
| /tomerchant N, st:mer:N            | lifecycle RULES  | awaiting merchant                    |
| /approve N [amount], st:appf/appp  | lifecycle RULES  | refund pending (amount ≤ cap)        |
| /reject N reason, st:rej:N → text  | lifecycle RULES  | rejected                             |
| /rule N buyer AMT, st:rb:N → amount| lifecycle RULES  | refund pending                       |
| /rule N merchant R, st:rm:N → text | lifecycle RULES  | closed                               |
| /paid N, st:paid:N                 | lifecycle RULES  | refunded                             |
| /confirm N, st:cfm:N               | the step's roles | a colleague's proposal taken (4 eyes)|
| /dismiss N, st:dsm:N               | the step's roles | the open proposal ended              |
| /assess N what, st:asx:N → text    | lifecycle RULES  | awaiting a third-party assessment    |
| /assessed N result, st:asr:N → text| lifecycle RULES  | back to review / arbitration         |
| /note N text, st:note:N → text     | lifecycle RULES  | internal note (buyer never sees it)  |
| /staff [add ID ROLE / remove ID]   | admin            | list / change staff                  |
| /health                            | any staff        | each process's loops and their errors  |
| /stats [7d/30d/YYYY-MM]            | any staff        | chart + figures (dialogs/stats.py)   |
| /export [period status= merchant=] | any staff        | CSV/XLSX (ids masked but for admins) |
| /staffhelp                         | any staff        | the commands                         |
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from cases.dossier import Audience
from cases.ports import UnitOfWork
from cases.workflow import Notifier, Outcome
from dialogs import callbacks as cb
from dialogs.context import DialogEnv, Turn, UserCtx
from dialogs.dossier import request_dossier
from dialogs.menu import SUPPORTED_LOCALES
from dialogs.notices import CaseNotifier
from dialogs.pending import PendingInput
from dialogs.session import Session, dump_session, parse_session
from dialogs.staff_actions import (
    MOVES,
    TEXT_LIMIT,
    Input,
    Move,
    is_refusal,
    load_case,
    parse_case_no,
    role_of,
    staff_or_refuse,
)
from dialogs.staff_admin import staff_command
from dialogs.staff_card import show_card, show_evidence, show_queue, staff_button
from dialogs.staff_export import export_command
from dialogs.staff_four_eyes import confirm_press, dismiss_press, move_or_propose
from dialogs.staff_health import health_command
from dialogs.staff_input import KIND, amount_in, ask, case_arg
from dialogs.stats import stats_command
from dialogs.types import ButtonIn, CommandIn, Event, Reply, TextIn

# Button prefix → the move it starts ("card", "evidence" and "dossier" only show things).
_BUTTONS = (
    (cb.STAFF_CARD, "card"),
    (cb.STAFF_EVIDENCE, "evidence"),
    (cb.STAFF_DOSSIER, "dossier"),
    (cb.STAFF_TAKE, "take"),
    (cb.STAFF_REQUEST, "request"),
    (cb.STAFF_MERCHANT, "merchant"),
    (cb.STAFF_APPROVE_FULL, "approve_full"),
    (cb.STAFF_APPROVE_PARTIAL, "approve_partial"),
    (cb.STAFF_REJECT, "reject"),
    (cb.STAFF_RULE_BUYER, "rule_buyer"),
    (cb.STAFF_RULE_MERCHANT, "rule_merchant"),
    (cb.STAFF_PAID, "paid"),
    (cb.STAFF_NOTE, "note"),
    (cb.STAFF_CONFIRM, "confirm"),
    (cb.STAFF_ASSESS, "assess"),
    (cb.STAFF_ASSESSED, "assessed"),
    (cb.STAFF_DISMISS, "dismiss"),
    (cb.STAFF_CONTEST_HOLDS, "contest_holds"),
    (cb.STAFF_CONTEST_FAILS, "contest_fails"),
)
STAFF_PREFIX = "st:"


class StaffDialog:
    """The staff side dialog; `notifier` defaults to the environment's, else one built from it."""

    kind = KIND

    def __init__(self, notifier: Notifier | None = None) -> None:
        self._notifier = notifier

    def notifier(self, turn: Turn) -> Notifier:
        return self._notifier or turn.env.notifier or CaseNotifier.from_env(turn.env)

    async def command(self, turn: Turn, command: CommandIn) -> bool:
        handler = _COMMANDS.get(command.name)
        if handler is None:
            return False
        if (
            command.name == "stats"
            and turn.user.chat != turn.env.staff_chat_id
            and await role_of(turn.uow, turn.user.user_id) is None
        ):
            return False  # in private: a merchant's own figures (dialogs/merchant.py)
        if await staff_or_refuse(turn) is not None:
            await handler(self, turn, command.args.strip())
        return True

    async def button(self, turn: Turn, data: str) -> bool:
        if not data.startswith(STAFF_PREFIX):
            return False
        if await staff_or_refuse(turn) is None:
            return True
        for prefix, name in _BUTTONS:
            case_text = cb.suffix(data, prefix)
            if case_text is None:
                continue
            case_no = parse_case_no(turn, case_text)
            if case_no is not None:
                await self._press(turn, name, case_no)
            return True
        turn.say("staff.refused.unknown_button")
        return True

    async def answer(self, turn: Turn, pending: PendingInput, event: Event) -> bool:
        """Takes the reason, request, note or amount the bot asked this user for."""
        if isinstance(event, CommandIn | ButtonIn):
            return False  # a command or another press runs; the question stays open
        move = MOVES.get(pending.action)
        if move is None:
            turn.pending = None
            return False
        if await role_of(turn.uow, turn.user.user_id) is None:
            turn.pending = None
            turn.say("staff.refused.not_staff")
            return True
        if not isinstance(event, TextIn) or not event.text.strip():
            turn.say("staff.ask.send_text", case_no=pending.case_no, move=move.name)
            return True
        text = event.text.strip()
        if move.needs is Input.AMOUNT:
            amount = amount_in(turn, text)
            if amount is None:
                return True
            outcome = await self._move(turn, pending.case_no, move, amount=amount)
            if outcome is None and turn.replies[-1].key == "staff.refusal.amount_over_cap":
                turn.say("staff.ask.retry_amount", case_no=pending.case_no)
                return True  # the question stays open for a smaller amount
        else:
            if len(text) > TEXT_LIMIT:
                turn.say("staff.text_too_long", limit=TEXT_LIMIT, length=len(text))
                return True
            outcome = await self._move(turn, pending.case_no, move, note=text)
        turn.pending = None
        await self._done(turn, outcome)
        return True

    async def _press(self, turn: Turn, name: str, case_no: str) -> None:
        case = await load_case(turn, case_no)
        if case is None:
            return
        if name == "card":
            await show_card(turn, case)
        elif name == "evidence":
            await show_evidence(turn, case)
        elif name == "confirm":
            await self._done(turn, await confirm_press(turn, self.notifier(turn), case_no))
        elif name == "dismiss":
            await dismiss_press(turn, case_no)
        elif name == "dossier":
            await request_dossier(turn, case, Audience.STAFF)
        elif MOVES[name].needs is Input.NONE:
            await self._done(turn, await self._move(turn, case_no, MOVES[name]))
        else:
            await ask(turn, case_no, MOVES[name])

    async def _move(self, turn: Turn, case_no: str, move: Move, **given: Any) -> Outcome | None:
        """Runs the move, or records it as a proposal where four eyes apply."""
        return await move_or_propose(turn, self.notifier(turn), case_no, move, **given)

    async def _done(self, turn: Turn, outcome: Outcome | None) -> None:
        """After a move, the open card button, so the next step is one press away."""
        if outcome is not None:
            last = turn.replies.pop()
            n = outcome.after.case_no
            turn.replies.append(
                Reply(last.key, last.params, ((staff_button("card", cb.STAFF_CARD, n),),))
            )

    # -- commands -----------------------------------------------------------------------------

    async def _case(self, turn: Turn, args: str) -> None:
        case_no = await case_arg(turn, args, "case")
        if case_no is not None:
            case = await load_case(turn, case_no)
            if case is not None:
                await show_card(turn, case)

    async def _queue(self, turn: Turn, args: str) -> None:
        await show_queue(turn)

    async def _help(self, turn: Turn, args: str) -> None:
        turn.say("staff.help")

    async def _staff(self, turn: Turn, args: str) -> None:
        await staff_command(turn, args)

    async def _health(self, turn: Turn, args: str) -> None:
        await health_command(turn)

    async def _stats(self, turn: Turn, args: str) -> None:
        await stats_command(turn, args)

    async def _export(self, turn: Turn, args: str) -> None:
        role = await role_of(turn.uow, turn.user.user_id)
        if role is not None:
            await export_command(turn, args, role)

    async def _simple(self, turn: Turn, args: str, name: str) -> None:
        case_no = await case_arg(turn, args.split(" ", 1)[0] if args else "", name)
        if case_no is not None:
            await self._done(turn, await self._move(turn, case_no, MOVES[name]))

    async def _take(self, turn: Turn, args: str) -> None:
        await self._simple(turn, args, "take")

    async def _tomerchant(self, turn: Turn, args: str) -> None:
        await self._simple(turn, args, "merchant")

    async def _paid(self, turn: Turn, args: str) -> None:
        await self._simple(turn, args, "paid")

    async def _confirm(self, turn: Turn, args: str) -> None:
        """`/confirm N`: takes a colleague's proposed step (four eyes)."""
        case_no = await case_arg(turn, args.strip(), "confirm")
        if case_no is not None and await load_case(turn, case_no) is not None:
            await self._done(turn, await confirm_press(turn, self.notifier(turn), case_no))

    async def _dismiss(self, turn: Turn, args: str) -> None:
        """`/dismiss N`: ends the open proposal unconfirmed."""
        case_no = await case_arg(turn, args.strip(), "dismiss")
        if case_no is not None and await load_case(turn, case_no) is not None:
            await dismiss_press(turn, case_no)

    async def _with_text(self, turn: Turn, args: str, name: str) -> None:
        """`/reject N reason`: with the text, the move runs; without it, the bot asks."""
        head, _, text = args.partition(" ")
        case_no = await case_arg(turn, head, name)
        if case_no is None:
            return
        await self._text_move(turn, case_no, MOVES[name], text.strip())

    async def _text_move(self, turn: Turn, case_no: str, move: Move, text: str) -> None:
        if not text:
            await ask(turn, case_no, move)
        elif len(text) > TEXT_LIMIT:
            turn.say("staff.text_too_long", limit=TEXT_LIMIT, length=len(text))
        else:
            await self._done(turn, await self._move(turn, case_no, move, note=text))

    async def _amount_move(self, turn: Turn, case_no: str, move: Move, text: str) -> None:
        if not text:
            await ask(turn, case_no, move)
            return
        amount = amount_in(turn, text)
        if amount is not None:
            outcome = await self._move(turn, case_no, move, amount=amount)
            await self._done(turn, outcome)

    async def _note(self, turn: Turn, args: str) -> None:
        await self._with_text(turn, args, "note")

    async def _reject(self, turn: Turn, args: str) -> None:
        await self._with_text(turn, args, "reject")

    async def _request(self, turn: Turn, args: str) -> None:
        await self._with_text(turn, args, "request")

    async def _assess(self, turn: Turn, args: str) -> None:
        await self._with_text(turn, args, "assess")

    async def _assessed(self, turn: Turn, args: str) -> None:
        await self._with_text(turn, args, "assessed")

    async def _approve(self, turn: Turn, args: str) -> None:
        """`/approve N` approves what the buyer asked for; `/approve N 20.50` that amount."""
        head, _, amount_text = args.partition(" ")
        case_no = await case_arg(turn, head, "approve")
        if case_no is None:
            return
        if amount_text.strip():
            await self._amount_move(turn, case_no, MOVES["approve_partial"], amount_text.strip())
        else:
            await self._done(
                turn, await self._move(turn, case_no, MOVES["approve_full"])
            )

    async def _rule(self, turn: Turn, args: str) -> None:
        """`/rule N buyer AMOUNT` or `/rule N merchant REASON`."""
        head, _, rest = args.partition(" ")
        side, _, text = rest.strip().partition(" ")
        side = side.lower()
        if side not in ("buyer", "merchant", "买家", "商家"):
            turn.say("staff.usage.rule")
            return
        case_no = await case_arg(turn, head, "rule")
        if case_no is None:
            return
        if side in ("buyer", "买家"):
            await self._amount_move(turn, case_no, MOVES["rule_buyer"], text.strip())
        else:
            await self._text_move(turn, case_no, MOVES["rule_merchant"], text.strip())

    async def _assign(self, turn: Turn, args: str) -> None:
        """`/assign N USER_ID`: gives the case to that staff member."""
        words = args.split()
        if len(words) != 2 or not words[1].isdigit():
            turn.say("staff.usage.assign")
            return
        case_no = await case_arg(turn, words[0], "assign")
        if case_no is not None:
            outcome = await self._move(turn, case_no, MOVES["assign"], assignee=int(words[1]))
            await self._done(turn, outcome)


_Handler = Callable[[StaffDialog, Turn, str], Awaitable[None]]
_COMMANDS: dict[str, _Handler] = {
    "case": StaffDialog._case,
    "queue": StaffDialog._queue,
    "take": StaffDialog._take,
    "assign": StaffDialog._assign,
    "note": StaffDialog._note,
    "reject": StaffDialog._reject,
    "approve": StaffDialog._approve,
    "request": StaffDialog._request,
    "assess": StaffDialog._assess,
    "assessed": StaffDialog._assessed,
    "tomerchant": StaffDialog._tomerchant,
    "rule": StaffDialog._rule,
    "paid": StaffDialog._paid,
    "confirm": StaffDialog._confirm,
    "dismiss": StaffDialog._dismiss,
    "staff": StaffDialog._staff,
    "health": StaffDialog._health,
    "stats": StaffDialog._stats,
    "export": StaffDialog._export,
    "staffhelp": StaffDialog._help,
}
STAFF_COMMANDS = frozenset(_COMMANDS)


async def handle_group(
    event: Event, user: UserCtx, uow: UnitOfWork, env: DialogEnv, notifier: Notifier
) -> list[Reply]:
    """Answers one update in the staff group; chatter that is not for the bot gets no reply."""
    turn = Turn.start(user, uow, env)
    raw = await uow.drafts.load(user.user_id)
    session = (parse_session(raw) if raw is not None else None) or Session()
    turn.pending = session.pending
    await _group_event(turn, StaffDialog(notifier), event)
    if turn.pending != session.pending:
        session.pending = turn.pending
        await uow.drafts.save(user.user_id, dump_session(session), turn.now)
    return turn.replies


async def _group_event(turn: Turn, dialog: StaffDialog, event: Event) -> None:
    pending = turn.pending
    if pending is not None and pending.kind == KIND and pending.chat_id == turn.user.chat:
        if isinstance(event, CommandIn) and event.name == "cancel":
            turn.pending = None
            turn.say("side.input_dropped", case_no=pending.case_no)
            return
        if await dialog.answer(turn, pending, event):
            return
    if isinstance(event, CommandIn):
        if await dialog.command(turn, event):
            return
        if await role_of(turn.uow, turn.user.user_id) is not None:
            key = "staff.nothing_to_cancel" if event.name == "cancel" else "staff.unknown_command"
            turn.say(key, command=event.name)
    elif isinstance(event, ButtonIn) and not await dialog.button(turn, event.data):
        turn.say("staff.refused.unknown_button")
    # Texts, files and stickers in the group are people talking to each other.


async def group_locale(uow: UnitOfWork, user: UserCtx, env: DialogEnv) -> str:
    """The language to answer a staff member in: their /language choice, else the group's
    (the deployment's), which the cards everyone works on are written in."""
    profile = await uow.users.get(user.user_id)
    if profile is not None and profile.locale in SUPPORTED_LOCALES:
        return profile.locale
    return env.default_locale


def refusal_in(replies: list[Reply]) -> Reply | None:
    """The reply that says a press changed nothing, if any (the bot shows it as an alert)."""
    return next((reply for reply in replies if is_refusal(reply.key)), None)
