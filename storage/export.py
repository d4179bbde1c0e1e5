"""Reads data out for the operator: every case for `complaint-bot cases export`, and a consistent
copy of an SQLite database for `complaint-bot backup`."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncGenerator, Collection
from contextlib import closing
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cases.model import Case, CaseStatus
from storage.models import CaseRow
from storage.repositories.cases import case_select, to_case

BATCH = 500


async def all_cases(
    session_factory: async_sessionmaker[AsyncSession],
    since: datetime | None = None,
    batch: int = BATCH,
    *,
    until: datetime | None = None,
    statuses: Collection[CaseStatus] = (),
    merchant: str | None = None,
) -> AsyncGenerator[Case, None]:
    """Yields every case filed in [since, until), in `statuses` (any when empty) and of
    `merchant` (any when None), by case number, a batch per transaction.

    Keyset pages rather than one long cursor: a million cases never sit in memory, and no
    transaction stays open while the caller writes its file.
    """
    after = ""
    while True:
        query = case_select().where(CaseRow.case_no > after)
        if since is not None:
            query = query.where(CaseRow.created_at >= since)
        if until is not None:
            query = query.where(CaseRow.created_at < until)
        if statuses:
            query = query.where(CaseRow.status.in_(sorted(status.value for status in statuses)))
        if merchant is not None:
            query = query.where(CaseRow.merchant_code == merchant)
        async with session_factory() as session:
            rows = (await session.execute(query.order_by(CaseRow.case_no).limit(batch))).all()
        if not rows:
            return
        for row in rows:
            yield to_case(row)
        after = rows[-1].case_no


def sqlite_path(database_url: str) -> Path | None:
    """The file of an SQLite database URL; None for any other database (or an in-memory one)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


class BackupError(Exception):
    """The copy could not be made or does not read back as a sound database.

    `reason` names what went wrong for the operator's message (locales/cli.*.toml): `no_source`,
    `target_exists` or `unsound` (then `detail` holds SQLite's verdict).
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


async def backup_sqlite(source: Path, target: Path) -> int:
    """Copies a live SQLite database (WAL included) to `target`; returns the copy's size.

    SQLite's online backup API copies a consistent snapshot while the bot keeps writing, where
    copying the file (and its -wal beside it) could catch a half-written page. The copy is then
    checked with `PRAGMA integrity_check` before it is reported good.
    """
    return await asyncio.to_thread(_backup, source, target)


def _backup(source: Path, target: Path) -> int:
    if not source.is_file():
        raise BackupError("no_source")
    if target.exists():
        raise BackupError("target_exists")
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
        (verdict,) = dst.execute("PRAGMA integrity_check").fetchone()
    if verdict != "ok":
        target.unlink(missing_ok=True)
        raise BackupError("unsound", str(verdict))
    return target.stat().st_size
