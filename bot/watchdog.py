"""Reports this process's loops to the database and tells the staff chat when one stalls.

`complaint-bot health` and `/health` run in other processes, so each bot process writes its
loops' health (bot/supervisor.py) to the `worker_loops` table: at once when a loop fails or
recovers, otherwise every REPORT_EVERY as a heartbeat that also says the process lives. Nothing
is written on the idle ticks in between.

When a loop of this process has not succeeded for its `stall_after` (5 minutes), the log says so
and ONE alert goes to the staff chat through the outbox; when it succeeds again, one notice says
it recovered. Each process alerts about its own loops only, with the worker id and the start of
the outage in the once-key, so several processes never repeat each other's alert and a retried
tick never repeats its own. The decisions are made in memory: a database that is down delays
the alert until it is back (the log has it at once), it never loses it.

The watchdog is a supervised loop too: a failing write is logged, backed off and tried again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from cases.health import LoopStatus
from dialogs.staff_health import loop_recovered_notice, loop_stalled_notice
from dialogs.types import Reply

if TYPE_CHECKING:
    from bot.deps import Deps
    from bot.supervisor import Supervisor

log = logging.getLogger(__name__)

WATCH_EVERY = 5.0  # seconds between looks at the loops (in memory; writes are rarer)
REPORT_EVERY = timedelta(seconds=30)
# Reports of a process silent this long are deleted: it is gone, its name will not come back.
FORGET_AFTER = timedelta(days=7)


@dataclass
class _Outage:
    since: datetime  # the loop's last success (or start) before it stalled
    alerted: bool = False

    def alert_sent(self) -> None:
        self.alerted = True


@dataclass(frozen=True)
class _Notice:
    once_key: str
    reply: Reply
    queued: Callable[[], None]  # remembers that it went out


class Watchdog:
    def __init__(self, deps: Deps, supervisor: Supervisor, worker_id: str) -> None:
        self.deps = deps
        self.supervisor = supervisor
        self.worker_id = worker_id
        self._reported_at: datetime | None = None
        self._reported_changes: dict[str, int] = {}
        self._outages: dict[str, _Outage] = {}

    async def tick(self) -> None:
        """Writes the report if something changed or the heartbeat is due; queues alerts."""
        now = self.deps.clock.now()
        loops = self.supervisor.loops
        statuses = [health.snapshot(self.worker_id, now) for health in loops.values()]
        changes = {name: health.changes for name, health in loops.items()}
        notices = self._notices(statuses, now)
        heartbeat = self._reported_at is None or now - self._reported_at >= REPORT_EVERY
        if not (heartbeat or notices or changes != self._reported_changes):
            return
        staff_chat = self.deps.settings.staff_chat
        async with self.deps.uow() as uow:
            await uow.loops.report(self.worker_id, statuses)
            if heartbeat:
                await uow.loops.forget(now - FORGET_AFTER)
            if staff_chat is not None:
                locale = self.deps.settings.default_locale
                for notice in notices:
                    payload = notice.reply.to_payload(locale)
                    await uow.outbox.add(staff_chat, payload, now, notice.once_key)
            await uow.commit()
        for notice in notices:
            notice.queued()
        self._reported_at = now
        self._reported_changes = changes

    async def withdraw(self) -> None:
        """Deletes this process's reports: it stops cleanly, it is no longer a worker."""
        async with self.deps.uow() as uow:
            await uow.loops.withdraw(self.worker_id)
            await uow.commit()

    def _notices(self, statuses: list[LoopStatus], now: datetime) -> list[_Notice]:
        """The alerts and recovery notices due now, each with what to remember once queued."""
        notices = []
        for status in statuses:
            name = status.loop
            outage = self._outages.get(name)
            if outage is None:
                if not status.stalled(now):
                    continue
                log.error(
                    "loop %s has not succeeded since %s; last error: %s",
                    name, status.quiet_since.isoformat(), status.last_error,
                )
                outage = self._outages[name] = _Outage(status.quiet_since)
            key = f"{self.worker_id}:{name}:{outage.since.isoformat()}"
            if status.last_success_at is not None and status.last_success_at > outage.since:
                log.warning("loop %s works again", name)
                reply = loop_recovered_notice(status, outage.since)
                notices.append(_Notice(f"loop-recovered:{key}", reply, self._end(name)))
            elif not outage.alerted:
                reply = loop_stalled_notice(status, now)
                notices.append(_Notice(f"loop-stalled:{key}", reply, outage.alert_sent))
        return notices

    def _end(self, name: str) -> Callable[[], None]:
        def end() -> None:
            self._outages.pop(name, None)

        return end
