"""`/export` in the staff chat: a CSV or XLSX file of the cases a filter picks.

The command is read and checked here — the user's role now, the chat, the arguments — and the
file is built by a job (cases.export.EXPORT_JOB, run by bot/exports.py) that reads the role
again when it runs: admins get buyer ids in full, other staff (agents, arbitrators) masked, and
someone no longer staff by then gets nothing. The job is keyed by the update, so a command
Telegram delivers twice builds one file.
"""

from __future__ import annotations

from cases.export import EXPORT_JOB, ExportArgsError, parse_filter
from dialogs.context import Turn


async def export_command(turn: Turn, args: str, role: str) -> None:
    """Queues the export; the caller has checked that the user is staff (`role`)."""
    staff_chat = turn.env.staff_chat_id
    if staff_chat is None or turn.user.chat != staff_chat:
        turn.say("export.staff_chat_only")
        return
    try:
        wanted = parse_filter(args, turn.now, turn.env.calendar.tz)
    except ExportArgsError as refused:
        turn.say("export.usage", token=refused.token)
        return
    update = turn.user.update_id
    payload = {
        "args": args,
        "at": turn.now.isoformat(),
        "chat_id": turn.user.chat,
        "user_id": turn.user.user_id,
        "locale": turn.locale,
    }
    await turn.uow.jobs.add(
        EXPORT_JOB, turn.now, payload, key=None if update is None else f"export:{update}"
    )
    turn.say(
        "export.queued",
        format=wanted.format.value,
        since=wanted.since,
        until=wanted.until,
        statuses=sorted(status.value for status in wanted.statuses),
        merchant=wanted.merchant or "",
        masked=role != "admin",
    )
