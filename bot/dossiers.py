"""Builds the dossiers buyers and staff ask for (dialogs/dossier.py) and queues them in the outbox.

One job per request, as exports (bot/exports.py) do: the ZIPs are written under DATA_DIR/dossiers
first, then their outbox rows and the job's completion commit together, so a crash while writing
leaves the job to be claimed again (the files are written anew under the same names) and a crash
after the commit leaves rows whose files are on disk. The sender deletes each file once
Telegram has it; a job that gives up deletes what it wrote.

Who asked is checked again here, against the case and the staff table as they are now: the
buyer's own case only, staff only while they hold a role.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.dossier_files import Made, make_dossier
from bot.dossier_pdf import NoFontError, find_fonts
from bot.job_worker import OneShotWorker
from cases.dossier import DOSSIER_JOB, Audience, Contents
from dialogs.staff_actions import STAFF_ROLES
from dialogs.types import FileReply, Reply

if TYPE_CHECKING:
    from storage.jobs import Job
    from storage.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

IDLE = 2.0  # seconds between looks for requested dossiers when none was (bot/runner.py)
DOSSIERS_DIR = "dossiers"  # under DATA_DIR


class DossierWorker(OneShotWorker):
    kind = DOSSIER_JOB

    async def build(self, job: Job) -> None:
        deps, payload = self.deps, job.payload
        case_no, chat_id = str(payload["case_no"]), int(payload["chat_id"])
        user_id, locale = int(payload["user_id"]), str(payload["locale"])
        audience = Audience(str(payload["audience"]))
        contents = await self._contents(case_no, user_id, audience)
        if contents is None:
            reply = Reply("dossier.refused", {"case_no": case_no})
            await self._finish(job, [(chat_id, reply.to_payload(locale))])
            return
        try:
            fonts = await asyncio.to_thread(find_fonts, deps.settings.dossier_font)
        except NoFontError as missing:
            log.error("dossier job %s: no CJK font (looked for %s)", job.id, missing)
            await self._finish(job, self._no_font(chat_id, locale, case_no))
            return
        made = await asyncio.to_thread(
            make_dossier,
            contents,
            deps.translator,
            locale,
            fonts,
            deps.settings.evidence_dir,
            deps.settings.data_dir / self._relative(job, case_no),
        )
        await self._finish(job, self._files(job, chat_id, locale, case_no, made))
        log.info("dossier job %s: %s parts, %s files left out", job.id, len(made.parts), made.left)

    async def _contents(self, case_no: str, user_id: int, audience: Audience) -> Contents | None:
        """What the dossier holds, or None when this user may not have it (any more)."""
        async with self.deps.uow() as uow:
            case = await uow.cases.get(case_no)
            if case is None:
                return None
            if audience is Audience.BUYER and case.buyer_id != user_id:
                return None
            if audience is Audience.STAFF and await uow.staff.role_of(user_id) not in STAFF_ROLES:
                return None
            code = case.merchant_code
            return Contents(
                case=case,
                order=await uow.orders.get(case.order_no),
                merchant=await uow.merchants.get(code) if code else None,
                legal=await uow.merchants.legal(code) if code else None,
                evidence=await uow.evidence.list(case_no),
                events=await uow.events.list(case_no),
                audience=audience,
                made_at=self.deps.clock.now(),
            )

    @staticmethod
    def _relative(job: Job, case_no: str) -> Path:
        # The job id keeps two requests for the same case apart until each is sent.
        return Path(DOSSIERS_DIR) / f"{job.id}-dossier-{case_no}.zip"

    def _files(
        self, job: Job, chat_id: int, locale: str, case_no: str, made: Made
    ) -> list[tuple[int, dict[str, object]]]:
        data_dir = self.deps.settings.data_dir
        replies = []
        for number, path in enumerate(made.parts, start=1):
            params = {
                "case_no": case_no,
                "part": number,
                "parts": len(made.parts),
                "has_legal": made.has_legal,
                "left": made.left,
            }
            reply = FileReply(
                "dossier.ready",
                params,
                file_path=path.relative_to(data_dir).as_posix(),
                file_name=path.name.removeprefix(f"{job.id}-"),
            )
            replies.append((chat_id, reply.to_payload(locale)))
        return replies

    def _no_font(
        self, chat_id: int, locale: str, case_no: str
    ) -> list[tuple[int, dict[str, object]]]:
        said = [(chat_id, Reply("dossier.unavailable").to_payload(locale))]
        staff_chat = self.deps.settings.staff_chat
        if staff_chat is not None and staff_chat != chat_id:
            notice = Reply("dossier.unavailable_staff", {"case_no": case_no})
            said.append((staff_chat, notice.to_payload(self.deps.settings.default_locale)))
        return said

    async def _finish(self, job: Job, messages: list[tuple[int, dict[str, object]]]) -> None:
        now = self.deps.clock.now()
        async with self.deps.uow() as uow:
            for number, (chat_id, payload) in enumerate(messages, start=1):
                await uow.outbox.add(chat_id, payload, now, key=f"dossier:{job.id}:{number}")
            await uow.jobs.complete(job.id, now)
            await uow.commit()
        self.deps.outbox_bell.ring(now)

    async def gave_up(self, uow: SqlUnitOfWork, job: Job, now: datetime) -> None:
        reply = Reply("dossier.failed", {"case_no": job.payload.get("case_no", "")})
        payload = reply.to_payload(str(job.payload.get("locale", "")))
        chat_id = int(job.payload["chat_id"])
        await uow.outbox.add(chat_id, payload, now, key=f"dossier:{job.id}:failed")

    async def after_giving_up(self, job: Job) -> None:
        await asyncio.to_thread(self._remove_files, job)

    def _remove_files(self, job: Job) -> None:
        folder = self.deps.settings.data_dir / DOSSIERS_DIR
        for path in folder.glob(f"{job.id}-*"):
            path.unlink(missing_ok=True)
        for path in folder.glob(f".part-{job.id}-*"):
            path.unlink(missing_ok=True)
