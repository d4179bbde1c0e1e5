"""Deletes old inbox, processed-update and outbox rows in the background, a batch at a time.

Without it those tables grow with every update and every notice for as long as the bot runs,
and the inbox keeps users' raw messages (texts, names) indefinitely, which /privacy promises
it does not. INBOX_RETENTION_DAYS and OUTBOX_RETENTION_DAYS set the ages. Every process may
run this loop: the batches skip rows another process is deleting (see
storage/repositories/retention.py), so running it twice only shares the work.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from cases.health import STALL_AFTER as HEALTHY_SILENCE

if TYPE_CHECKING:
    from bot.deps import Deps
    from storage.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

BATCH = 500
INTERVAL = 600.0  # seconds between rounds: the rows only need to go eventually
# A round is due every INTERVAL: only a round missing for 5 minutes past that is a stall.
STALL_AFTER = HEALTHY_SILENCE + timedelta(seconds=INTERVAL)
# A round stops after this many batches per table and leaves the rest to the next round, so a
# large backlog (the first run on an old database) never holds the loop for long.
MAX_BATCHES = 20

Purge = Callable[["SqlUnitOfWork", datetime, int], Awaitable[int]]


@dataclass(frozen=True)
class Purged:
    inbox: int
    processed_updates: int
    outbox: int


class RetentionWorker:
    def __init__(self, deps: Deps, batch: int = BATCH) -> None:
        self.deps = deps
        self.batch = batch

    async def run_once(self) -> Purged:
        """Deletes what is past its retention now; returns how many rows of each table went."""
        settings, now = self.deps.settings, self.deps.clock.now()
        inbox_before = now - timedelta(days=settings.inbox_retention_days)
        outbox_before = now - timedelta(days=settings.outbox_retention_days)
        purged = Purged(
            inbox=await self._drain(lambda u, t, n: u.retention.purge_inbox(t, n), inbox_before),
            processed_updates=await self._drain(
                lambda u, t, n: u.retention.purge_processed_updates(t, n), inbox_before
            ),
            outbox=await self._drain(
                lambda u, t, n: u.retention.purge_outbox(t, n), outbox_before
            ),
        )
        if purged != Purged(0, 0, 0):
            log.info("retention: deleted %s", purged)
        return purged

    async def _drain(self, purge: Purge, before: datetime) -> int:
        """Deletes batch after batch, one transaction each, until a batch comes back short."""
        total = 0
        for _ in range(MAX_BATCHES):
            async with self.deps.uow() as uow:
                deleted = await purge(uow, before, self.batch)
                await uow.commit()
            total += deleted
            if deleted < self.batch:
                break
        return total
