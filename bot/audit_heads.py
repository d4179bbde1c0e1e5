"""Publishes the audit chain heads once a day, outside the database (see cases/audit.py).

Each round appends one line to AUDIT_HEADS_FILE (cases/heads.py; written and fsync'd before
anything else happens) and queues a message with the root digest to the staff chat, so a
rewrite of whole chains inside the database still fails `complaint-bot audit verify --against`.
One line per platform-local date: a round on a day that already has one only makes sure its
message is queued (keyed per day, so every process may run this loop and staff get one).
Cases whose newest event predates sealing (older databases) are sealed first.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from cases.audit import SEALED
from cases.heads import Publication, fold, parse_lines, publication, to_line
from cases.health import STALL_AFTER as HEALTHY_SILENCE
from cases.history import seal
from cases.ports import HistoryConflictError
from storage.audit import chain_heads, unsealed_case_numbers

if TYPE_CHECKING:
    from bot.deps import Deps
    from storage.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

INTERVAL = 3600.0  # seconds between rounds: a day's line is written in its first hour
# A round is due every INTERVAL: only a round missing for 5 minutes past that is a stall.
STALL_AFTER = HEALTHY_SILENCE + timedelta(seconds=INTERVAL)
STAFF_KEY = "audit.heads"
ROOT_SHOWN = 16  # hex digits of the root digest in the staff chat: enough to compare by eye


@dataclass(frozen=True)
class Published:
    item: Publication
    written: bool  # False: the day already had its line, nothing was appended
    queued: bool  # a staff-chat message was queued (there is a staff chat)


def read_publications(path: Path) -> list[Publication]:
    """The file's publications, oldest first; none when it does not exist yet."""
    try:
        with path.open(encoding="utf-8") as fh:
            return parse_lines(fh)
    except FileNotFoundError:
        return []


def append_line(path: Path, line: str) -> None:
    """Appends and fsyncs one line; a new file's directory entry is fsync'd as well."""
    created = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())
    if created:
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


async def publish_heads(
    uow: Callable[[], SqlUnitOfWork],
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime,
    *,
    daily: bool,
) -> Published:
    """Writes a publication of every chain head and queues its staff message.

    `daily`: only if today (platform-local) has no line yet; otherwise always a new line.
    """
    path = settings.resolved_audit_heads_file
    day = now.astimezone(settings.tz).date()
    items = await asyncio.to_thread(read_publications, path)
    if daily and items and items[-1].day == day:
        item, written = items[-1], False
    else:
        await seal_unsealed(uow, sessions, now)
        item = publication(now, day, await chain_heads(sessions), fold(items))
        await asyncio.to_thread(append_line, path, to_line(item))
        written = True
        log.info("audit heads of %s cases published to %s (root %s)", item.cases, path, item.root)
    key = f"audit-heads:{day.isoformat()}" if daily else f"audit-heads:{item.at.isoformat()}"
    queued = await _tell_staff(uow, settings, item, now, key)
    return Published(item, written, queued)


async def seal_unsealed(
    uow: Callable[[], SqlUnitOfWork], sessions: async_sessionmaker[AsyncSession], now: datetime
) -> int:
    """Seals every case whose newest event carries no digest of its rows; returns how many."""
    sealed = 0
    for case_no in await unsealed_case_numbers(sessions):
        async with uow() as work:
            try:
                await seal(work, case_no, now, SEALED, {})
            except HistoryConflictError:
                continue  # an event was appended meanwhile, and that one is sealed
            await work.commit()
        sealed += 1
    if sealed:
        log.info("audit: sealed %s cases filed before their rows were sealed", sealed)
    return sealed


async def _tell_staff(
    uow: Callable[[], SqlUnitOfWork],
    settings: Settings,
    item: Publication,
    now: datetime,
    key: str,
) -> bool:
    staff_chat = settings.staff_chat
    if staff_chat is None:
        return False
    payload = {
        "locale": settings.default_locale,
        "key": STAFF_KEY,
        "params": {
            "day": item.day.isoformat(),
            "root": item.root[:ROOT_SHOWN],
            "cases": item.cases,
            "events": item.events,
        },
        "buttons": [],
    }
    async with uow() as work:
        await work.outbox.add(staff_chat, payload, now, key)
        await work.commit()
    return True


class HeadsPublisher:
    def __init__(self, deps: Deps) -> None:
        from storage.db import make_session_factory

        self.deps = deps
        self.sessions = make_session_factory(deps.engine)

    async def run_once(self) -> Published:
        """Publishes today's heads unless today has them; run every INTERVAL, supervised (a
        full or missing disk is logged and backed off like any failure, never the loop's end)."""
        deps = self.deps
        return await publish_heads(
            deps.uow, self.sessions, deps.settings, deps.clock.now(), daily=True
        )
