"""A reminder before the complaint window of an unfinished draft closes.

Once the buyer has proved an order is theirs, the draft is worth finishing: a job is scheduled
for a day before the window closes (or two hours, when less than a day is left). When it fires,
it reminds the buyer only if the same draft is still unfinished — a submitted, cancelled or
replaced draft makes it obsolete. The job is keyed by buyer and order, so saving the draft again
never schedules a second one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from cases.eligibility import complaint_window_closes
from cases.ports import UnitOfWork
from dialogs.context import DialogEnv, Turn, UserCtx
from dialogs.draft import FilingDraft
from dialogs.filing_prompts import resume_buttons
from dialogs.language import locale_for
from dialogs.session import parse_session
from dialogs.types import Reply

DRAFT_REMINDER_JOB = "draft_reminder"
_LEADS = (timedelta(hours=24), timedelta(hours=2))


async def schedule(turn: Turn, draft: FilingDraft | None) -> None:
    """Schedules the reminder for a verified draft (once per buyer and order)."""
    if draft is None or draft.order_no is None or not draft.verified:
        return
    order = await turn.uow.orders.get(draft.order_no)
    if order is None:
        return
    closes = complaint_window_closes(order, turn.policy)
    due = next((closes - lead for lead in _LEADS if closes - lead > turn.now), None)
    if due is None:
        return
    await turn.uow.jobs.add(
        DRAFT_REMINDER_JOB,
        due,
        {"user_id": turn.user.user_id, "order_no": order.order_no, "closes": closes.isoformat()},
        key=f"{reminder_key_prefix(turn.user.user_id)}{order.order_no}",
    )


def reminder_key_prefix(user_id: int) -> str:
    """The start of the keys of this user's reminder jobs, one per order."""
    return f"draft:{user_id}:"


async def fire(uow: UnitOfWork, env: DialogEnv, payload: Mapping[str, Any]) -> bool:
    """Queues the reminder if the draft is still unfinished; False when it is obsolete."""
    user_id, order_no = int(payload["user_id"]), str(payload["order_no"])
    raw = await uow.drafts.load(user_id)
    session = None if raw is None else parse_session(raw)
    if session is None or session.draft is None or session.draft.order_no != order_no:
        return False
    closes = datetime.fromisoformat(str(payload["closes"]))
    if closes <= env.clock.now():
        return False
    profile = await uow.users.get(user_id)
    language_code = None if profile is None else profile.language_code
    locale = await locale_for(uow, UserCtx(user_id=user_id, language_code=language_code))
    reply = Reply(
        "reminder.draft_window_closing",
        {"order_no": order_no, "closes": closes},
        resume_buttons(),
    )
    await uow.outbox.add(
        user_id, reply.to_payload(locale), env.clock.now(), key=f"draft:{user_id}:{order_no}"
    )
    return True
