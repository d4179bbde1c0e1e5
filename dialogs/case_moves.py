"""What the merchant's and the buyer's case dialogs share: running a move and saying the result.

A move goes through `cases.workflow.perform`, which re-checks who the user is for the case and
what its status allows, so a stale button or forged callback data changes nothing. The notice
`perform` queues for the very chat that made the move is that chat's answer: it is taken out of
the outbox and replied at once, so the person who pressed the button reads it once, now.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final, Self

from cases.lifecycle import Action, Refusal, TransitionRefused, cap_rule, refund_cap
from cases.model import Case
from cases.numbering import normalize_case_number
from cases.ports import JobRepository, LoopHealthRepository, OutboxRepository, UnitOfWork
from cases.workflow import CaseNotFound, Notifier, Outcome
from dialogs.context import Turn
from dialogs.types import Reply

# Refusals with their own sentence (case.refusal.*); the staff-only ones read as "other".
_SAID_REFUSALS: Final = frozenset(
    {
        Refusal.NOT_ALLOWED_FOR_ROLE,
        Refusal.WRONG_STATUS,
        Refusal.NOTE_REQUIRED,
        Refusal.AMOUNT_NOT_POSITIVE,
        Refusal.AMOUNT_OVER_CAP,
        Refusal.AMOUNT_NOT_BELOW_REQUEST,
        Refusal.NO_OFFER,
        Refusal.OFFER_NOT_DECLINED,
        Refusal.WINDOW_CLOSED,
        Refusal.ANOTHER_CASE_OPEN,
        Refusal.NOT_INSTANT,
        Refusal.ALREADY_CONTESTED,
        Refusal.CONTEST_WINDOW_CLOSED,
        Refusal.CONTESTED,
    }
)


def case_no_in(text: str) -> str | None:
    """Returns the case number `text` names (spaces and dash variants allowed), or None."""
    return normalize_case_number(text.replace(" ", "").strip())


def say_not_found(turn: Turn, case_no: str) -> None:
    """The answer for a case that does not exist and for one that is not the user's alike."""
    turn.say("status.not_found", case_no=case_no)


async def _silent(uow: UnitOfWork, outcome: Outcome) -> None:
    """Queues nothing: for an environment built without a notifier (tools, unit tests)."""


class _ChatAnswer:
    """An outbox that turns messages for the acting chat into direct replies of the turn."""

    def __init__(self, inner: OutboxRepository, turn: Turn) -> None:
        self.inner = inner
        self.turn = turn
        self.answered = False

    async def add(
        self,
        chat_id: int,
        payload: Mapping[str, Any],
        due_at: datetime,
        key: str | None = None,
    ) -> None:
        if chat_id != self.turn.user.chat:
            await self.inner.add(chat_id, payload, due_at, key)
            return
        self.turn.replies.append(Reply.from_payload(payload))
        self.answered = True


class _ChatAnswerWork:
    """The caller's unit of work as the notifier sees it: the same, but for `outbox`."""

    def __init__(self, inner: UnitOfWork, outbox: _ChatAnswer) -> None:
        self._inner = inner
        self._outbox = outbox
        self.orders = inner.orders
        self.cases = inner.cases
        self.events = inner.events
        self.evidence = inner.evidence
        self.ownership = inner.ownership
        self.users = inner.users
        self.staff = inner.staff
        self.drafts = inner.drafts
        self.merchants = inner.merchants
        self.case_queries = inner.case_queries
        self.risk = inner.risk
        self.personal_data = inner.personal_data
        self.stats = inner.stats
        self.ratings = inner.ratings
        self.fingerprints = inner.fingerprints
        self.readings = inner.readings

    @property
    def jobs(self) -> JobRepository:
        return self._inner.jobs

    @property
    def outbox(self) -> OutboxRepository:
        return self._outbox

    @property
    def loops(self) -> LoopHealthRepository:
        return self._inner.loops

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """The transaction is the caller's: it ends there, not here."""

    async def commit(self) -> None:
        await self._inner.commit()

    async def rollback(self) -> None:
        await self._inner.rollback()


class _AnswerInChat:
    """Runs the environment's notifier with the acting chat's notice diverted to the reply."""

    def __init__(self, inner: Notifier, turn: Turn) -> None:
        self.inner = inner
        self.turn = turn
        self.answered = False

    async def __call__(self, uow: UnitOfWork, outcome: Outcome) -> None:
        diverted = _ChatAnswer(uow.outbox, self.turn)
        await self.inner(_ChatAnswerWork(uow, diverted), outcome)
        self.answered = self.answered or diverted.answered


async def run_move(
    turn: Turn,
    case_no: str,
    action: Action,
    fallback: str,
    *,
    amount: int | None = None,
    note: str = "",
) -> Outcome | None:
    """Makes the move as the turn's user and answers; None (after saying why) when refused.

    The answer is the notice meant for this chat; `fallback` (a locale key, given the case's
    facts) is said when there is none, as for a merchant's own answers.
    """
    notifier = _AnswerInChat(turn.env.notifier or _silent, turn)
    try:
        outcome = await turn.perform(notifier, case_no, action, amount=amount, note=note)
    except CaseNotFound:
        say_not_found(turn, case_no)
        return None
    except TransitionRefused as refused:
        case = await turn.uow.cases.get(case_no)
        if case is None:
            say_not_found(turn, case_no)
        else:
            say_refusal(turn, case, refused.refusal)
        return None
    if not notifier.answered:
        turn.say_params(fallback, outcome_params(turn, outcome.after, outcome.event.amount))
    return outcome


def outcome_params(turn: Turn, case: Case, amount: int | None) -> dict[str, Any]:
    """The facts a move's answer may quote: the case, the amount, the next deadline."""
    return {
        "case_no": case.case_no,
        "status": case.status.value,
        "amount": amount,
        "requested": case.refund_amount,
        "refund_method": case.refund_method.value,
        "currency": case.currency,
        "deadline": case.next_deadline_at,
    }


def say_refusal(turn: Turn, case: Case, refusal: Refusal) -> None:
    """Tells exactly why nothing changed: the case's status, the cap, the window …"""
    key = refusal.value if refusal in _SAID_REFUSALS else "other"
    turn.say(
        f"case.refusal.{key}",
        case_no=case.case_no,
        status=case.status.value,
        requested=case.refund_amount,
        cap=refund_cap(case, turn.env.policy),
        cap_rule=cap_rule(case, turn.env.policy),
        currency=case.currency,
    )
