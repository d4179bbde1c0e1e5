"""Publishes the audit chain heads once a day, outside the database (see cases/audit.py).

Each round appends one line to AUDIT_HEADS_FILE (cases/heads.py; written and fsync'd before
anything else happens) and queues a message with the root digest to the staff chat, so a
rewrite of whole chains inside the database still fails `complaint-bot audit verify --against`.
One line per platform-local date: a round on a day that already has one only makes sure its
message is queued (keyed per day, so every process may run this loop and staff get one).
Cases whose newest event predates sealing (older databases) are sealed first.

A publication never holds every case's head: with 100,000 cases, holding them had taken 44 MB
at the peak, and the process kept most of it (bench/memory.py's RSS growth, 54-61 MB, had been
this). The heads as last published, folded from the file line by line (each line's heads read
from its text one by one), go to a scratch SQLite file in the temporary directory; the
database's heads are read in batches in case order (one statement, so one snapshot), each batch
looked up there, fed to the root digest and, when new or moved, written to a scratch file; the
line is then appended from its parts. The round's last-line check reads the file in blocks and
parses only the last line's summary.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from cases.audit import SEALED, Head, head_line
from cases.heads import (
    Publication,
    head_fragment,
    heads_of_line,
    line_around_heads,
    parse_lines,
    summary_of,
)
from cases.health import STALL_AFTER as HEALTHY_SILENCE
from cases.history import seal
from cases.ports import HistoryConflictError
from storage.audit import ordered_heads, unsealed_case_numbers

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


def last_publication(path: Path) -> Publication | None:
    """The file's last publication without its heads; None when there is none yet. Reads the
    file in blocks to find its last line, which is the only one parsed."""
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        return None
    with fh:
        # The number and offset of the last line with text, and of the line being read.
        number, start, lines, line_start, has_text, offset = 0, None, 0, 0, False, 0
        while block := fh.read(_BLOCK):
            at = 0
            while True:
                newline = block.find(b"\n", at)
                end = len(block) if newline < 0 else newline
                has_text = has_text or bool(block[at:end].strip())
                if newline < 0:
                    break
                lines += 1
                if has_text:
                    number, start = lines, line_start
                has_text, line_start, at = False, offset + newline + 1, newline + 1
            offset += len(block)
        if has_text:  # a last line without its newline
            number, start = lines + 1, line_start
        if start is None:
            return None
        fh.seek(start)
        text = fh.readline().decode("utf-8", errors="replace")
    return summary_of(text, number)


_BLOCK = 1 << 20


def append_line(path: Path, parts: Iterable[str]) -> None:
    """Appends one line, written part by part, and fsyncs it; a new file's directory entry is
    fsync'd as well."""
    created = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        for part in parts:
            fh.write(part)
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

    `daily`: only if today (platform-local) has no line yet; otherwise always a new line. The
    publication returned carries no heads (the line has them).
    """
    path = settings.resolved_audit_heads_file
    day = now.astimezone(settings.tz).date()
    last = await asyncio.to_thread(last_publication, path)
    if daily and last is not None and last.day == day:
        item, written = last, False
    else:
        await seal_unsealed(uow, sessions, now)
        item = await _publish(sessions, path, now, day)
        written = True
        log.info("audit heads of %s cases published to %s (root %s)", item.cases, path, item.root)
    key = f"audit-heads:{day.isoformat()}" if daily else f"audit-heads:{item.at.isoformat()}"
    queued = await _tell_staff(uow, settings, item, now, key)
    return Published(item, written, queued)


async def _publish(
    sessions: async_sessionmaker[AsyncSession], path: Path, now: datetime, day: date
) -> Publication:
    with tempfile.TemporaryDirectory(prefix="audit-heads-") as scratch:
        folder = Path(scratch)
        published = await asyncio.to_thread(_Published.fold, path, folder / "published.db")
        digest, cases, events, moved = hashlib.sha256(), 0, 0, 0
        parts = folder / "heads.part"
        try:
            with parts.open("w", encoding="utf-8") as out:
                async for batch in ordered_heads(sessions):
                    before = await asyncio.to_thread(published.heads_of, [no for no, _ in batch])
                    for no, head in batch:
                        digest.update(head_line(no, head).encode("ascii"))
                        cases += 1
                        events += head.count
                        if before.get(no) != head:
                            out.write(head_fragment(no, head, first=moved == 0))
                            moved += 1
        finally:
            published.close()
        item = Publication(now, day, digest.hexdigest(), cases, events, heads={})
        start, end = line_around_heads(item)
        await asyncio.to_thread(append_line, path, chain([start], _read_parts(parts), [end]))
    return item


def _read_parts(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as fh:
        while chunk := fh.read(_BLOCK):
            yield chunk


class _Published:
    """Every case's head as the file last published it, in a scratch SQLite file (stdlib
    sqlite3: off the Python heap, and gone with the publication)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    @classmethod
    def fold(cls, path: Path, scratch: Path) -> _Published:
        """Folds the file's lines in order, one line's text in memory at a time (its heads
        read from it one by one); raises HeadsFileError on a line that is not a publication."""
        # Used from one worker thread at a time (asyncio.to_thread), never at once.
        db = sqlite3.connect(scratch, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=OFF")
            db.execute("PRAGMA synchronous=OFF")
            db.execute("CREATE TABLE head (no TEXT PRIMARY KEY, count INTEGER, hash TEXT)")
            try:
                with path.open(encoding="utf-8") as fh:
                    for number, text in enumerate(fh, start=1):
                        if not text.strip():
                            continue
                        summary_of(text, number)  # a publication, or HeadsFileError
                        db.executemany(
                            "INSERT OR REPLACE INTO head VALUES (?, ?, ?)",
                            ((no, h.count, h.hash) for no, h in heads_of_line(text, number)),
                        )
            except FileNotFoundError:
                pass  # the first publication: nothing published yet
            db.commit()
        except BaseException:
            db.close()
            raise
        return cls(db)

    def heads_of(self, numbers: list[str]) -> dict[str, Head]:
        """The published heads of those of `numbers` that have one."""
        found: dict[str, Head] = {}
        for start in range(0, len(numbers), _LOOKUP):
            chunk = numbers[start : start + _LOOKUP]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT no, count, hash FROM head WHERE no IN ({marks})"  # noqa: S608
            for no, count, digest in self._db.execute(query, chunk):
                found[no] = Head(count, digest)
        return found

    def close(self) -> None:
        self._db.close()


_LOOKUP = 500  # case numbers per lookup, well under SQLite's limit of bound parameters


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
