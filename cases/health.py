"""When a background loop counts as stalled, and a bot process as alive: the rules that the
watchdog, `complaint-bot health` and `/health` share.

Each process reports its loops' progress (bot/supervisor.py) to the database on a heartbeat.
A loop is stalled when it has not completed an iteration for its `stall_after` (5 minutes, more
for a loop that only runs every few minutes), counted from its start when it never has. A
process is live while its reports keep coming; one silent for longer than LIVE_WITHIN has
stopped or hangs, and its last report is shown as such.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

STALL_AFTER = timedelta(minutes=5)
# The watchdog reports every 30 s while its process runs: four missed reports mean it does not.
LIVE_WITHIN = timedelta(minutes=2)


@dataclass(frozen=True)
class LoopStatus:
    worker_id: str
    loop: str
    started_at: datetime
    reported_at: datetime
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    failures: int
    stall_after: timedelta = STALL_AFTER

    @property
    def quiet_since(self) -> datetime:
        """Since when the loop has completed nothing: its last success, else its start."""
        return self.last_success_at or self.started_at

    def stalled(self, now: datetime) -> bool:
        return now - self.quiet_since >= self.stall_after


@dataclass(frozen=True)
class WorkerHealth:
    worker_id: str
    reported_at: datetime
    live: bool
    loops: Sequence[LoopStatus]
    stalled: Sequence[LoopStatus]


@dataclass(frozen=True)
class HealthReport:
    now: datetime
    workers: Sequence[WorkerHealth]

    @property
    def live(self) -> list[WorkerHealth]:
        return [worker for worker in self.workers if worker.live]

    @property
    def healthy(self) -> bool:
        """True when some process is live and none of the live ones has a stalled loop."""
        return bool(self.live) and not any(worker.stalled for worker in self.live)


def health_report(statuses: Iterable[LoopStatus], now: datetime) -> HealthReport:
    """Groups the reported loops by process, live processes first, each's loops by name."""
    by_worker: dict[str, list[LoopStatus]] = {}
    for status in statuses:
        by_worker.setdefault(status.worker_id, []).append(status)
    workers = []
    for worker_id, loops in by_worker.items():
        loops.sort(key=lambda status: status.loop)
        reported_at = max(status.reported_at for status in loops)
        live = now - reported_at <= LIVE_WITHIN
        stalled = [status for status in loops if status.stalled(now)] if live else []
        workers.append(WorkerHealth(worker_id, reported_at, live, loops, stalled))
    workers.sort(key=lambda worker: (not worker.live, worker.worker_id))
    return HealthReport(now, workers)
