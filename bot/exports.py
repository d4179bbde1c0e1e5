"""Builds the files `/export` asks for (dialogs/staff_export.py) and queues them in the outbox.

One job per request. The file is written under DATA_DIR/exports first, then the outbox row that
uploads it and the job's completion commit together: a crash while writing leaves the job to be
claimed again (the file is written anew, under the same name), a crash after the commit leaves a
row whose file is already on disk. The sender deletes the file once Telegram has it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.export_files import write_export
from bot.job_worker import OneShotWorker
from cases import export
from cases.export import EXPORT_JOB, ExportArgsError, parse_filter
from dialogs.staff_actions import STAFF_ROLES
from dialogs.types import FileReply, Reply
from storage.db import make_session_factory
from storage.export import all_cases

if TYPE_CHECKING:
    from bot.app import Deps
    from storage.jobs import Job

log = logging.getLogger(__name__)

IDLE = 2.0  # seconds between looks for requested exports when none was (bot/runner.py)
EXPORTS_DIR = "exports"  # under DATA_DIR


class ExportWorker(OneShotWorker):
    kind = EXPORT_JOB

    def __init__(self, deps: Deps, worker_id: str) -> None:
        super().__init__(deps, worker_id)
        self.sessions = make_session_factory(deps.engine)

    async def build(self, job: Job) -> None:
        deps, payload = self.deps, job.payload
        chat_id, user_id = int(payload["chat_id"]), int(payload["user_id"])
        locale = str(payload["locale"])
        async with deps.uow() as uow:
            role = await uow.staff.role_of(user_id)
        if role not in STAFF_ROLES:
            # The role was taken away since the command: nothing of the cases goes out.
            await self._finish(job, chat_id, Reply("export.refused").to_payload(locale))
            return
        asked_at = datetime.fromisoformat(str(payload["at"]))
        try:
            wanted = parse_filter(str(payload["args"]), asked_at, deps.settings.tz)
        except ExportArgsError as refused:  # checked when asked: only a job queued by hand
            reply = Reply("export.usage", {"token": refused.token})
            await self._finish(job, chat_id, reply.to_payload(locale))
            return
        relative = Path(EXPORTS_DIR) / f"cases-{job.id}.{wanted.format.value}"
        cases = all_cases(
            self.sessions,
            wanted.since,
            until=wanted.until,
            statuses=wanted.statuses,
            merchant=wanted.merchant,
        )
        written = await write_export(
            cases,
            deps.settings.data_dir / relative,
            wanted.format,
            deps.settings.tz,
            mask_buyer=role != "admin",
            max_bytes=export.CHAT_EXPORT_MAX_BYTES,
        )
        stamp = asked_at.astimezone(deps.settings.tz).strftime("%Y%m%d-%H%M")
        reply = FileReply(
            "export.ready",
            {
                "rows": written.rows,
                "truncated": written.truncated,
                "masked": role != "admin",
                "since": wanted.since,
                "until": wanted.until,
            },
            file_path=relative.as_posix(),
            file_name=f"cases-{stamp}.{wanted.format.value}",
        )
        await self._finish(job, chat_id, reply.to_payload(locale))
        log.info("export job %s: %s rows, %s bytes", job.id, written.rows, written.size)

    async def _finish(self, job: Job, chat_id: int, payload: dict[str, object]) -> None:
        now = self.deps.clock.now()
        async with self.deps.uow() as uow:
            await uow.outbox.add(chat_id, payload, now, key=f"export:{job.id}")
            await uow.jobs.complete(job.id, now)
            await uow.commit()
        self.deps.outbox_bell.ring(now)
