"""Asking for a dossier (证据包): the buyer's button on their case, the button on the staff card.

The press is authorised by the caller (the buyer's own case, looked up per press; staff by their
role now) and the ZIP is built by a job (cases.dossier.DOSSIER_JOB, run by bot/dossiers.py),
never in the update: drawing a PDF and packing evidence takes seconds. The job authorises again
when it runs, so a role taken away in between hands out nothing.

Each build costs a second or two of CPU and a copy of the evidence on disk, so a person gets at
most one dossier of a case per REPEAT_WINDOW: the job's key names the window, and a press in a
window that already has one is told so instead of building again (a press Telegram delivers
twice builds one too).
"""

from __future__ import annotations

from typing import Final

from cases.dossier import DOSSIER_JOB, Audience
from cases.model import Case
from dialogs.context import Turn

REPEAT_WINDOW: Final = 600  # seconds


async def request_dossier(turn: Turn, case: Case, audience: Audience) -> None:
    """Queues the dossier for this chat and says it is on its way (or that it is already)."""
    window = int(turn.now.timestamp()) // REPEAT_WINDOW
    key = f"dossier:{audience.value}:{case.case_no}:{turn.user.user_id}:{window}"
    if await turn.uow.jobs.has(key):
        turn.say("dossier.recent", case_no=case.case_no, minutes=REPEAT_WINDOW // 60)
        return
    payload = {
        "case_no": case.case_no,
        "chat_id": turn.user.chat,
        "user_id": turn.user.user_id,
        "locale": turn.locale,
        "audience": audience.value,
    }
    await turn.uow.jobs.add(DOSSIER_JOB, turn.now, payload, key=key)
    turn.say("dossier.queued", case_no=case.case_no)


async def buyer_dossier(turn: Turn, case: Case) -> None:
    await request_dossier(turn, case, Audience.BUYER)
