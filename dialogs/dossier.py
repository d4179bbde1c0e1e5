"""Asking for a dossier (证据包): the buyer's button on their case, the button on the staff card.

The press is authorised by the caller (the buyer's own case, looked up per press; staff by their
role now) and the ZIP is built by a job (cases.dossier.DOSSIER_JOB, run by bot/dossiers.py),
never in the update: drawing a PDF and packing evidence takes seconds. The job authorises again
when it runs, so a role taken away in between hands out nothing. It is keyed by the update, so a
press Telegram delivers twice builds one dossier.
"""

from __future__ import annotations

from cases.dossier import DOSSIER_JOB, Audience
from cases.model import Case
from dialogs.context import Turn


async def request_dossier(turn: Turn, case: Case, audience: Audience) -> None:
    """Queues the dossier for this chat and says it is on its way."""
    update = turn.user.update_id
    payload = {
        "case_no": case.case_no,
        "chat_id": turn.user.chat,
        "user_id": turn.user.user_id,
        "locale": turn.locale,
        "audience": audience.value,
    }
    key = None if update is None else f"dossier:{update}"
    await turn.uow.jobs.add(DOSSIER_JOB, turn.now, payload, key=key)
    turn.say("dossier.queued", case_no=case.case_no)


async def buyer_dossier(turn: Turn, case: Case) -> None:
    await request_dossier(turn, case, Audience.BUYER)
