"""Each process beats once a second; the others take over the claims of one that stopped.

Every bot process has a row in the `workers` table with a beat counter it bumps every BEAT_EVERY
seconds. Every process also looks at all the rows every CHECK_EVERY seconds, and takes a worker
for dead, at once, when it ran on the same machine (host name, boot id and pid namespace) and
its process is gone (its pid no longer exists, or now belongs to a process started later); and
otherwise once its counter has stood still for DEAD_AFTER seconds of the looker's own watching.
Taking over deletes the dead worker's row, only if its counter still shows what the taker saw,
and hands back every row the dead worker held (inbox updates, outbox messages, jobs: the
release of bot/leases.py), in one transaction. The row lock orders that DELETE against the dead
worker's own beat, so two takers never both act, and a worker that beat meanwhile is never taken.

Clocks: nothing here compares times written by two machines. The counter says only that the
worker wrote again; how long it stood still is measured by the looker's own monotonic clock
between two of its reads, so a skewed or stepped wall clock on any host changes nothing (the
`beat_at` column is for people). A looker counts only the time between reads that came close
together: when the looker itself could not read for a while (the database was away for
everyone), that time does not count against the others, who could not beat either.

Safety for a process that is only stalled (a long pause, a blocked event loop, a database that
answers it slowly): it may act on the rows it holds only while its own last successful beat
*started* less than FRESH_FOR ago (`Liveness.wait_fresh`, asked before each send, payout,
download, deadline and update). A looker needs DEAD_AFTER of standstill from a read that already
showed that beat, so a stalled process stops starting work at least DEAD_AFTER - FRESH_FOR
before anyone can take over its rows. When its next beat finds its row gone, it was taken over:
it starts nothing more (wait_fresh answers False from then on), and the runner stops the process
(exit status 1) so that its supervisor starts it afresh, with nothing in memory from before.
What is left is the work already under way at that instant: a send that started before the
stall and is still on its way may be repeated by the new holder (as after a kill -9); payouts
carry the case number as their idempotency key, so a repeated one pays once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.backoff import Backoff
from bot.liveness import Liveness, Monotonic
from storage.ports import WorkerRecord

if TYPE_CHECKING:
    from bot.deps import Deps

log = logging.getLogger(__name__)

# Twice a second: a beat that waits a moment for the database (SQLite's one writer, a busy
# PostgreSQL) still leaves this process fresh (FRESH_FOR) until the next one gets through.
BEAT_EVERY = 0.5
CHECK_EVERY = 0.5
# A counter still this long, as the looker watched it, is a dead worker: with checks every half
# second its rows move within about 4 s of its last beat.
DEAD_AFTER = 3.0
# Between two of the looker's reads further apart than this, the looker was away itself: the gap
# does not count as anyone's silence.
MAX_GAP = 2.0
# A failed beat or look is tried again soon: FRESH_FOR runs out, and the dead wait to be taken
# over, whether or not the database is back.
BEAT_BACKOFF = Backoff(timedelta(seconds=0.2), cap=timedelta(seconds=1))



class TakenOverError(RuntimeError):
    """Another process took this one for dead and took over its claims: it must stop."""


@dataclass(frozen=True)
class ProcessIdentity:
    """Where a process runs, to tell whether its pid can be looked at from here."""

    host: str
    machine: str  # host name, boot id, pid namespace; "" when they cannot be known
    pid: int
    pid_started: int | None


def this_process() -> ProcessIdentity:
    host = socket.gethostname()
    pid = os.getpid()
    boot_id = _read("/proc/sys/kernel/random/boot_id")
    try:
        namespace = os.readlink("/proc/self/ns/pid")  # "pid:[4026531836]"
    except OSError:
        namespace = ""
    # Without the boot id a pid says nothing across a reboot or a container: heartbeat only.
    machine = f"{host}|{boot_id}|{namespace}" if boot_id else ""
    stat = _proc_stat(pid)
    return ProcessIdentity(host, machine, pid, None if stat is None else stat[1])


def process_gone(pid: int, pid_started: int | None) -> bool:
    """Whether the process `pid` of this machine, started at `pid_started`, has ended.

    A pid is reused once its process is gone, so a pid that exists but belongs to a process
    started at another time is gone too; so is a zombie (dead, not yet reaped). When /proc
    cannot tell, the process counts as alive and the heartbeat decides.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # it exists, under another user
    except OSError:
        return False
    stat = _proc_stat(pid)
    if stat is None:
        return False
    state, started = stat
    if state in ("Z", "X"):
        return True
    return pid_started is not None and started != pid_started


def _read(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, start time in clock ticks since boot) from /proc/PID/stat; None without /proc."""
    text = _read(f"/proc/{pid}/stat")
    # The command name (field 2) is in parentheses and may hold spaces or ")": split after the
    # last one. Field 3 is the state, field 22 the start time.
    _, _, rest = text.rpartition(")")
    fields = rest.split()
    if len(fields) < 20:
        return None
    try:
        return fields[0], int(fields[19])
    except ValueError:
        return None


@dataclass
class _Seen:
    beats: int
    silent: float  # seconds of the looker's watching in which the counter stood still


class Heartbeat:
    """This process's row in `workers`, its beat, and the watch over everyone else's."""

    def __init__(
        self,
        deps: Deps,
        worker_id: str,
        *,
        identity: ProcessIdentity | None = None,
        liveness: Liveness | None = None,
        monotonic: Monotonic = time.monotonic,
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        self.deps = deps
        self.worker_id = worker_id
        self.identity = identity or this_process()
        self.liveness = liveness or deps.liveness
        self.life = uuid.uuid4().hex
        self._monotonic = monotonic
        self._on_lost = on_lost
        self._seen: dict[tuple[str, str], _Seen] = {}
        self._read_end: float | None = None

    async def start(self) -> int:
        """Registers this process, handing back what an earlier life of its name held (it is
        dead now), and takes over at once the workers of this machine whose process is gone.
        Returns how many rows changed hands. Run before any claim."""
        started = self._monotonic()
        now = self.deps.clock.now()
        identity = self.identity
        record = WorkerRecord(
            worker_id=self.worker_id,
            life=self.life,
            host=identity.host,
            machine=identity.machine,
            pid=identity.pid,
            pid_started=identity.pid_started,
            started_at=now,
            beat_at=now,
            beats=0,
        )
        async with self.deps.uow() as uow:
            released = await uow.leases.release(self.worker_id)
            await uow.workers.register(record)
            await uow.commit()
        self.liveness.beaten(started)
        if released:
            log.info("released %s rows held under worker id %s", released, self.worker_id)
        return released + await self.check()

    async def beat(self) -> None:
        """Bumps this process's counter; notices when another process took it over."""
        if self.liveness.lost:
            return
        started = self._monotonic()
        async with self.deps.uow() as uow:
            alive = await uow.workers.beat(self.worker_id, self.life, self.deps.clock.now())
            await uow.commit()
        if alive:
            self.liveness.beaten(started)
            return
        log.error(
            "worker %s was taken for dead by another process (its heartbeat stalled) and its "
            "work was handed on; it starts nothing more and stops",
            self.worker_id,
        )
        self.liveness.taken_over()
        if self._on_lost is not None:
            self._on_lost()

    async def check(self) -> int:
        """Takes over every worker found dead; returns how many rows changed hands."""
        before = self._monotonic()
        async with self.deps.uow() as uow:
            workers = await uow.workers.list()
        after = self._monotonic()
        gap = None if self._read_end is None else before - self._read_end
        counted = gap if gap is not None and gap <= MAX_GAP else 0.0
        self._read_end = after
        seen: dict[tuple[str, str], _Seen] = {}
        dead: list[tuple[WorkerRecord, str]] = []
        for worker in workers:
            if worker.worker_id == self.worker_id:
                continue
            key = (worker.worker_id, worker.life)
            earlier = self._seen.get(key)
            silent = 0.0
            if earlier is not None and earlier.beats == worker.beats:
                silent = earlier.silent + counted
            status = seen[key] = _Seen(worker.beats, silent)
            if self._same_machine(worker) and process_gone(worker.pid, worker.pid_started):
                dead.append((worker, f"its process {worker.pid} is gone"))
            elif status.silent >= DEAD_AFTER:
                dead.append((worker, f"no heartbeat for {status.silent:.1f} s"))
        self._seen = seen
        moved = 0
        for worker, why in dead:
            moved += await self._take_over(worker, why)
        return moved

    async def stop(self) -> None:
        """Deletes this process's row at a clean stop (its rows are released by the caller)."""
        with contextlib.suppress(Exception):
            async with self.deps.uow() as uow:
                await uow.workers.remove(self.worker_id, self.life)
                await uow.commit()

    def _same_machine(self, worker: WorkerRecord) -> bool:
        return bool(self.identity.machine) and worker.machine == self.identity.machine

    async def _take_over(self, worker: WorkerRecord, why: str) -> int:
        async with self.deps.uow() as uow:
            # Only the life seen dead, and only if it has not beaten since: a second taker, or
            # a worker that was only slow, makes this delete nothing.
            if not await uow.workers.remove(worker.worker_id, worker.life, worker.beats):
                return 0
            released = await uow.leases.release(worker.worker_id)
            await uow.commit()
        self._seen.pop((worker.worker_id, worker.life), None)
        log.warning(
            "took over worker %s (host %s, pid %s): %s; %s rows it held are free",
            worker.worker_id, worker.host, worker.pid, why, released,
        )
        if released:
            self.deps.outbox_bell.ring(self.deps.clock.now())
        return released
