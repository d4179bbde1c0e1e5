"""Whether this process may still act on what it holds (fed by its heartbeat, bot/heartbeat.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

Monotonic = Callable[[], float]

# A process starts no send, payout or update unless its last good beat started this recently:
# a second less than bot/heartbeat.py's DEAD_AFTER, for the step it starts to get under way.
FRESH_FOR = 2.0


class Liveness:
    """Whether this process may still act on the rows it holds: its heartbeat is recent and
    nobody took it over. Before the heartbeat starts (tests, the CLI) the process has no row
    anyone could take over, so it is always fresh."""

    def __init__(self, monotonic: Monotonic = time.monotonic) -> None:
        self._monotonic = monotonic
        self.registered = False
        self.lost = False
        self._beat_at: float | None = None
        self._changed = asyncio.Event()
        self.waiting = 0  # steps held back right now (for the log and the tests)

    def fresh(self) -> bool:
        if self.lost:
            return False
        if not self.registered:
            return True
        return self._beat_at is not None and self._monotonic() - self._beat_at < FRESH_FOR

    async def wait_fresh(self) -> bool:
        """True once the heartbeat is recent; False (at once, for good) when taken over."""
        while not self.fresh():
            if self.lost:
                return False
            changed = self._changed
            self.waiting += 1
            try:
                await changed.wait()
            finally:
                self.waiting -= 1
        return True

    def beaten(self, started: float) -> None:
        """Records a beat that succeeded; `started` is when it was sent (the safe end)."""
        self.registered = True
        self._beat_at = started if self._beat_at is None else max(self._beat_at, started)
        self._pulse()

    def taken_over(self) -> None:
        self.lost = True
        self._pulse()

    def _pulse(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
