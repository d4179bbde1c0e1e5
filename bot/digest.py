"""The weekly digest: last week's stats in the staff chat, Mondays at 09:00 platform time.

A job like every other (the deadline worker claims it, bot/deadlines.py), keyed by the Monday it
is due, so however many processes schedule it (each does at start) and whichever claims it, it
runs once. Running it queues the chart and the figures to the staff chat (keyed per week in the
outbox as well) and schedules the next Monday's, in the one transaction that marks it done.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from cases.stats import next_digest_at, previous_week
from dialogs.stats import load_report, merchant_names, report_replies

if TYPE_CHECKING:
    from bot.deps import Deps
    from storage.jobs import Job
    from storage.uow import SqlUnitOfWork

DIGEST_JOB = "stats_digest"
CAPTION = "stats.digest_caption"


def digest_key(due: datetime) -> str:
    return f"digest:{due.date().isoformat()}"


async def schedule_digest(uow: SqlUnitOfWork, deps: Deps, after: datetime) -> None:
    """Adds the first weekly digest due after `after`, unless it is scheduled already."""
    due = next_digest_at(after, deps.settings.tz)
    await uow.jobs.add(DIGEST_JOB, due, {"due": due.isoformat()}, key=digest_key(due))


async def schedule_first_digest(deps: Deps) -> None:
    """At start: makes sure the next digest is scheduled (a new deployment has none yet)."""
    async with deps.uow() as uow:
        await schedule_digest(uow, deps, deps.clock.now())
        await uow.commit()


async def send_digest(uow: SqlUnitOfWork, deps: Deps, job: Job) -> bool:
    """Queues the week before the job's Monday to the staff chat and schedules the next one;
    False when there is no staff chat to tell (the next one is still scheduled)."""
    due = job.due_at.astimezone(deps.settings.tz)
    await schedule_digest(uow, deps, due)
    staff_chat = deps.settings.staff_chat
    if staff_chat is None:
        return False
    report = await load_report(uow, previous_week(due, deps.settings.tz), deps.clock.now())
    locale = deps.settings.default_locale
    replies = report_replies(report, await merchant_names(uow, report), caption=CAPTION)
    now = deps.clock.now()
    for index, reply in enumerate(replies):
        key = f"{digest_key(due)}:{index}"
        await uow.outbox.add(staff_chat, reply.to_payload(locale), now, key)
    return True
