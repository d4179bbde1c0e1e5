"""The merchant's side, in private chat: binding an account, and answering complaints.

A merchant is bound to one Telegram account with a one-time link the operator makes
(`complaint-bot merchants add`): `/start m_<token>`. Only the SHA-256 of the token is stored.
A merchant sees the cases about their own orders and nothing else: every other case number gets
the answer an unknown number gets, and no buyer contact data is ever shown.

| input                  | who                 | answer                                         |
|------------------------|---------------------|------------------------------------------------|
| /start m_<token>       | an unbound account  | bound to the token's merchant (once)           |
| /merchant              | anyone              | what the account answers for, and how          |
| /status N, s:N         | the case's merchant | the case as the merchant sees it               |
| /stats [period]        | a bound merchant    | the stats of their own cases only              |
| mc:ev:N                | the case's merchant | the buyer's evidence files                     |
| mc:acc:N               | the case's merchant | the amount asked for approved → refund_pending |
| mc:off:N → amount      | the case's merchant | partial offer → negotiating                    |
| mc:rej:N → explanation | the case's merchant | refused → negotiating (the buyer may escalate) |
| mc:con:N → explanation | the case's merchant | an instant refund contested → in_review        |

```mermaid
stateDiagram-v2
    [*] --> idle
    idle --> idle: mc:acc (perform merchant_accept)
    idle --> amount: mc:off
    amount --> amount: not an amount / not 0 < x < requested, ≤ cap
    amount --> idle: amount (perform merchant_offer) / /cancel
    idle --> explanation: mc:rej
    explanation --> explanation: under 10 or over 1000 characters
    explanation --> idle: text (perform merchant_reject) / /cancel
    idle --> contest: mc:con (an instant refund, paid, within the contest window)
    contest --> contest: under 10 or over 1000 characters
    contest --> idle: text (perform merchant_contest) / /cancel
```
"""

from __future__ import annotations

import hashlib
import re
from typing import Final

from cases.lifecycle import Action, Refusal, cap_rule, refund_cap, rule_for
from cases.model import Case, CaseStatus, Merchant
from cases.money import MoneyFormatError, parse_amount
from cases.ports import StoredEvidence
from dialogs import callbacks as cb
from dialogs.case_file import HIDDEN_FROM_MERCHANT
from dialogs.case_moves import case_no_in, run_move, say_not_found, say_refusal
from dialogs.context import Turn
from dialogs.merchant_contest import CONTEST, ask_contest, note_fits, take_contest
from dialogs.notices_merchant import merchant_buttons
from dialogs.pending import PendingInput
from dialogs.stats import stats_command
from dialogs.types import ButtonIn, CommandIn, Event, FileReply, TextIn

KIND: Final = "merchant"
BIND_PREFIX: Final = "m_"  # /start m_<token>: the merchant binding deep link
MERCHANT_PREFIX: Final = "mc:"
OFFER: Final = "offer"
REJECT: Final = "reject"
# The rejection explanation: long enough to say why, short enough for one message.
NOTE_MIN: Final = 10
NOTE_MAX: Final = 1000
# Telegram deep-link parameters: up to 64 characters of A-Z, a-z, 0-9, _ and -.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,62}")


def token_hash(token: str) -> str:
    """Returns what is stored for a binding token: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class MerchantDialog:
    """The merchant side dialog (dialogs/sides.py)."""

    kind = KIND

    async def command(self, turn: Turn, command: CommandIn) -> bool:
        args = command.args.strip()
        if command.name == "start" and args.startswith(BIND_PREFIX):
            await bind(turn, args.removeprefix(BIND_PREFIX))
            return True
        if command.name == "merchant":
            await show_binding(turn)
            return True
        if command.name == "status" and args:
            return await _show_own(turn, args)
        if command.name == "stats":
            await _own_stats(turn, args)
            return True
        return False

    async def button(self, turn: Turn, data: str) -> bool:
        if data.startswith(MERCHANT_PREFIX):
            await _press(turn, data)
            return True
        case_text = cb.suffix(data, cb.CASE)
        if case_text is not None:
            return await _show_own(turn, case_text)
        return False

    async def answer(self, turn: Turn, pending: PendingInput, event: Event) -> bool:
        """Takes the offer amount or the rejection explanation the merchant was asked for."""
        if isinstance(event, CommandIn | ButtonIn):
            return False  # a command or another press runs; the question stays open
        if pending.action not in (OFFER, REJECT, CONTEST):
            turn.pending = None
            return False
        case = await merchant_case(turn, pending.case_no)
        if case is None:
            turn.pending = None
            return True
        text = event.text.strip() if isinstance(event, TextIn) else ""
        if pending.action == OFFER:
            await _take_amount(turn, case, text)
        elif pending.action == CONTEST:
            await take_contest(turn, case, text, NOTE_MIN, NOTE_MAX)
        else:
            await _take_explanation(turn, case, text)
        return True


async def bind(turn: Turn, token: str) -> None:
    """Binds this account to the merchant whose one-time token it is, and spends the token."""
    uow, user_id = turn.uow, turn.user.user_id
    current = await uow.merchants.by_user(user_id)
    if current is not None:
        # One account answers for one merchant; the token stays usable by the right account.
        turn.say("merchant.already_bound", name=current.name, code=current.code)
        return
    bound = None
    if _TOKEN.fullmatch(token):
        bound = await uow.merchants.bind(token_hash(token), user_id, turn.now)
    if bound is None:
        turn.say("merchant.link_invalid")
        return
    turn.say("merchant.bound", name=bound.name, code=bound.code)


async def show_binding(turn: Turn) -> None:
    """Says which merchant this account answers for and how answering works."""
    merchant = await turn.uow.merchants.by_user(turn.user.user_id)
    if merchant is None:
        turn.say("merchant.not_bound")
        return
    policy = turn.policy
    turn.say(
        "merchant.info",
        name=merchant.name,
        code=merchant.code,
        days=policy.merchant_working_days,
        silence=policy.merchant_timeout.value,
        note_min=NOTE_MIN,
        note_max=NOTE_MAX,
    )


async def merchant_case(turn: Turn, case_text: str) -> Case | None:
    """Returns the case if it is about this merchant's order; else says why and returns None."""
    merchant = await turn.uow.merchants.by_user(turn.user.user_id)
    if merchant is None:
        turn.say("merchant.not_bound")
        return None
    case_no = case_no_in(case_text)
    if case_no is None:
        turn.say("error.stale_button")
        return None
    case = await _case_of(turn, merchant, case_no)
    if case is None:
        say_not_found(turn, case_no)
    return case


async def _case_of(turn: Turn, merchant: Merchant, case_no: str) -> Case | None:
    case = await turn.uow.cases.get(case_no)
    if case is None or not case.merchant_code or case.merchant_code != merchant.code:
        return None
    return case


async def _show_own(turn: Turn, case_text: str) -> bool:
    """Shows the merchant's view of their own case; False leaves every other case to /status.

    The buyer dialog then answers exactly as for an unknown number (or, for the case's buyer
    and staff, with their own view).
    """
    merchant = await turn.uow.merchants.by_user(turn.user.user_id)
    case_no = case_no_in(case_text)
    if merchant is None or case_no is None:
        return False
    case = await _case_of(turn, merchant, case_no)
    if case is None or case.buyer_id == turn.user.user_id:
        return False
    await show_case(turn, case)
    return True


async def show_case(turn: Turn, case: Case) -> None:
    """The complaint as the merchant sees it: the order, reason, description, evidence, amount."""
    order = await turn.uow.orders.get(case.order_no)
    evidence = await merchant_evidence(turn, case)
    waiting = case.status is CaseStatus.AWAITING_MERCHANT
    deadline = case.next_deadline_at if waiting else None
    buttons = merchant_buttons(case.case_no) if waiting else ()
    if evidence:
        label = cb.button("merchant.btn.evidence", cb.MERCHANT_EVIDENCE + case.case_no)
        buttons = (*buttons, (label,))
    turn.say(
        "merchant.case",
        buttons,
        case_no=case.case_no,
        status=case.status.value,
        order_no=case.order_no,
        product=order.product if order is not None else "",
        order_amount=order.amount if order is not None else case.order_amount,
        reason=case.reason.value,
        description=case.description,
        evidence_count=len(evidence),
        requested=case.refund_amount,
        offer=case.offer_amount,
        approved=case.approved_amount,
        currency=case.currency,
        deadline=deadline,
    )


async def merchant_evidence(turn: Turn, case: Case) -> list[StoredEvidence]:
    """The files a merchant may see: not refused content, not what the buyer had removed."""
    files = await turn.uow.evidence.list(case.case_no)
    return [item for item in files if item.status not in HIDDEN_FROM_MERCHANT]


async def show_evidence(turn: Turn, case: Case) -> None:
    """Re-sends the buyer's evidence files, each captioned with the case and its number."""
    files = await merchant_evidence(turn, case)
    if not files:
        turn.say("merchant.evidence_none", case_no=case.case_no)
        return
    for index, item in enumerate(files, start=1):
        turn.replies.append(
            FileReply(
                key="merchant.evidence_caption",
                params={
                    "case_no": case.case_no,
                    "index": index,
                    "count": len(files),
                    "file_name": item.file.file_name or "",
                },
                file_kind=item.file.kind.value,
                file_id=item.file.file_id,
            )
        )


async def _press(turn: Turn, data: str) -> None:
    """Answers an `mc:` button: checked against this account's merchant on every press."""
    for prefix, handler in (
        (cb.MERCHANT_ACCEPT, _accept),
        (cb.MERCHANT_OFFER, _ask_amount),
        (cb.MERCHANT_REJECT, _ask_explanation),
        (cb.MERCHANT_EVIDENCE, show_evidence),
        (cb.MERCHANT_CONTEST, _ask_contest),
    ):
        case_text = cb.suffix(data, prefix)
        if case_text is None:
            continue
        case = await merchant_case(turn, case_text)
        if case is not None:
            await handler(turn, case)
        return
    turn.say("error.stale_button")


async def _ask_contest(turn: Turn, case: Case) -> None:
    await ask_contest(turn, case, KIND, NOTE_MIN, NOTE_MAX)


async def _accept(turn: Turn, case: Case) -> None:
    await run_move(turn, case.case_no, Action.MERCHANT_ACCEPT, "merchant.done.accept")


def _still_answerable(turn: Turn, case: Case, action: Action) -> bool:
    """Before asking for an amount or a text: may the merchant still answer the case?"""
    if case.status in rule_for(action).sources:
        return True
    say_refusal(turn, case, Refusal.WRONG_STATUS)
    return False


def _ask(turn: Turn, case: Case, action: str) -> None:
    turn.pending = PendingInput(
        kind=KIND,
        action=action,
        case_no=case.case_no,
        chat_id=turn.user.chat,
        asked_at=turn.now,
    )


async def _ask_amount(turn: Turn, case: Case) -> None:
    """Asks how much the merchant offers: more than 0, less than the request, within the cap."""
    if not _still_answerable(turn, case, Action.MERCHANT_OFFER):
        return
    _ask(turn, case, OFFER)
    turn.say(
        "merchant.ask_offer",
        case_no=case.case_no,
        requested=case.refund_amount,
        cap=refund_cap(case, turn.policy),
        cap_rule=cap_rule(case, turn.policy),
        currency=case.currency,
    )


async def _ask_explanation(turn: Turn, case: Case) -> None:
    """Asks why the merchant refuses; the buyer and the platform read it."""
    if not _still_answerable(turn, case, Action.MERCHANT_REJECT):
        return
    _ask(turn, case, REJECT)
    turn.say("merchant.ask_reject", case_no=case.case_no, min=NOTE_MIN, max=NOTE_MAX)


async def _take_amount(turn: Turn, case: Case, text: str) -> None:
    """Makes the offer, or says what is wrong with the amount and keeps asking."""
    money = {"currency": case.currency, "requested": case.refund_amount}
    if not text:
        turn.say("merchant.expect_amount", case_no=case.case_no)
        return
    try:
        amount = parse_amount(text)
    except MoneyFormatError:
        turn.say("merchant.amount_invalid", case_no=case.case_no)
        return
    cap = refund_cap(case, turn.policy)
    if amount <= 0:
        turn.say("merchant.amount_not_positive", case_no=case.case_no)
    elif amount >= case.refund_amount:
        # Offering everything asked for is accepting: that is the other button.
        turn.say_params("merchant.amount_not_below_request", {"case_no": case.case_no, **money})
    elif amount > cap:
        params = {"case_no": case.case_no, "cap": cap, "cap_rule": cap_rule(case, turn.policy)}
        turn.say_params("merchant.amount_over_cap", {**params, **money})
    else:
        turn.pending = None
        await run_move(
            turn, case.case_no, Action.MERCHANT_OFFER, "merchant.done.offer", amount=amount
        )


async def _take_explanation(turn: Turn, case: Case, text: str) -> None:
    """Rejects with the explanation, or says it is too short or too long and keeps asking."""
    if note_fits(turn, case, text, NOTE_MIN, NOTE_MAX):
        turn.pending = None
        await run_move(
            turn, case.case_no, Action.MERCHANT_REJECT, "merchant.done.reject", note=text
        )


async def _own_stats(turn: Turn, args: str) -> None:
    """Shows a bound merchant the stats of their own cases, and nobody else anything."""
    merchant = await turn.uow.merchants.by_user(turn.user.user_id)
    if merchant is None:
        turn.say("stats.not_merchant")
        return
    await stats_command(turn, args, merchant.code)
