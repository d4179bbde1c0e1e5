"""Short leases, renewed while the work is in hand; a dead process's work is taken over sooner.

Every row a process works on — a stored update, an outbox message, a job (a reminder, a
download, a payout) — is claimed with a lease of LEASE. While the process lives, the LeaseKeeper
renews all of them every RENEW_EVERY seconds in one short transaction, so a long send, download
or payout keeps its rows however long it takes.

A process that dies does not make the others wait for its leases: its heartbeat stops
(bot/heartbeat.py), and another process frees every row it held — at once when the dead one ran
on the same machine and its pid is gone, else once its heartbeat has stood still for DEAD_AFTER
— with `release`'s statement (storage/repositories/leases.py), in the transaction that deletes
its heartbeat row. The lease stays the backstop for rows whose holder has no heartbeat row (an
older version during an upgrade, a process that died before it registered): they are free
within LEASE. So two rules together decide whether a row in hand is still this process's: its
lease has not ended (`extend`, counting renewals), and its heartbeat is recent and was never
taken over (`Liveness.wait_fresh`). The sender checks both before each send; the inbox, the
deadline, evidence and payout workers check the heartbeat before each update or job.

A process whose name (WORKER_ID) survives its restart hands back at start whatever its previous
life held, so a restarted single process does not wait for its own leases at all.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.backoff import Backoff

if TYPE_CHECKING:
    from bot.deps import Deps

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
# Six renewals per lease: several may fail in a row (a database hiccup) before any lease ends.
RENEW_EVERY = 5.0
# A failed renewal is tried again soon, never later than the next beat would have been: the
# leases run out whether or not the database is back (bot/runner.py supervises the heartbeat).
RENEW_BACKOFF = Backoff(timedelta(seconds=1), cap=timedelta(seconds=RENEW_EVERY))


class LeaseKeeper:
    """Renews this process's leases on a heartbeat, and knows how long they surely last."""

    def __init__(
        self,
        deps: Deps,
        worker_id: str,
        *,
        lease: timedelta = LEASE,
        every: float = RENEW_EVERY,
    ) -> None:
        self.deps = deps
        self.worker_id = worker_id
        self.lease = lease
        self.every = every
        self._renewed_at: datetime | None = None

    def extend(self, lease_end: datetime) -> datetime:
        """Until when a row whose lease was known to last until `lease_end` surely lasts now.

        The last successful renewal moved it to renewal time + lease only if the lease was still
        live then; otherwise (renewals stalled past its end) another worker may hold the row and
        the old end stands, so the caller stops.
        """
        renewed = self._renewed_at
        if renewed is None or renewed >= lease_end:
            return lease_end
        return max(lease_end, renewed + self.lease)

    async def release(self) -> int:
        """Frees every row held under this worker's name: at start, what a previous process of
        the same name held (it is dead now); at a clean stop, what this one did not finish."""
        async with self.deps.uow() as uow:
            released = await uow.leases.release(self.worker_id)
            await uow.commit()
        if released:
            log.info("released %s rows held under worker id %s", released, self.worker_id)
        return released

    async def renew(self) -> int:
        """Extends every live lease of this process to now + lease; returns how many rows."""
        now = self.deps.clock.now()
        until = now + self.lease
        async with self.deps.uow() as uow:
            renewed = await uow.leases.renew(self.worker_id, now, until)
            await uow.commit()
        self._renewed_at = now
        return renewed

