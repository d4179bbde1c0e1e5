"""The sandbox's clock: real time plus an offset that the person trying the bot moves forward.

The bot takes its time from this clock (`deps.clock`), and so does the local Bot API server for
message dates, so "two working days later" can be watched happening: reminders, deadlines,
merchant timeouts and escalations fire as soon as their moment has passed on this clock.

Nothing has to be woken after a jump: the worker loops (bot/deadlines.py, bot/outbox.py,
bot/payouts.py, bot/evidence.py) ask for due work every one or two seconds of real time and read
`now()` each time, so a jump is picked up within that interval. The offset is kept in a small
JSON file, so a restart of the sandbox keeps the time it had reached.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path

from cases.calendar import WorkingCalendar
from cases.clock import Clock, SystemClock

OFFSET_FILE = "clock.json"


class SandboxClock:
    """`now()` is the real time plus `offset`; the offset only ever grows, except on reset."""

    def __init__(
        self,
        calendar: WorkingCalendar,
        offset_file: Path | None = None,
        *,
        real: Clock | None = None,
    ) -> None:
        self.calendar = calendar
        self.offset_file = offset_file
        self._real = real or SystemClock()
        self._offset = _load_offset(offset_file)

    @property
    def offset(self) -> timedelta:
        """How far the sandbox runs ahead of the real time."""
        return self._offset

    def now(self) -> datetime:
        return self._real.now() + self._offset

    def timestamp(self) -> float:
        """The current time as Unix seconds, as the Bot API dates its messages."""
        return self.now().timestamp()

    def advance(self, delta: timedelta) -> datetime:
        """Moves the clock forward by `delta`; returns the new time.

        Backwards is refused: deadlines already fired cannot be taken back, so a clock running
        backwards would show a world that cannot happen.
        """
        if delta < timedelta(0):
            raise ValueError(f"the sandbox clock only moves forward, not by {delta}")
        self._offset += delta
        self._save()
        return self.now()

    def advance_working_days(self, n: int) -> datetime:
        """Moves the clock to the end of the n-th working day from today; returns the new time.

        This is the very instant a deadline of n working days set now falls due (see
        `WorkingCalendar.add_working_days`), so "+2 working days" fires a two-working-day
        deadline such as the merchant's answer. Weekends, statutory holidays and make-up
        working days count as the platform's calendar says.
        """
        if n < 1:
            raise ValueError(f"working days to move forward must be at least 1, got {n}")
        now = self.now()
        return self.advance(self.calendar.add_working_days(now, n) - now)

    def reset(self) -> None:
        """Back to the real time, and forgets the saved offset."""
        self._offset = timedelta(0)
        if self.offset_file is not None:
            self.offset_file.unlink(missing_ok=True)

    def _save(self) -> None:
        if self.offset_file is None:
            return
        self.offset_file.parent.mkdir(parents=True, exist_ok=True)
        # Written beside and renamed over, so a crash mid-write never leaves half a file.
        partial = self.offset_file.with_suffix(".tmp")
        partial.write_text(json.dumps({"offset_seconds": self._offset.total_seconds()}))
        os.replace(partial, self.offset_file)


def _load_offset(offset_file: Path | None) -> timedelta:
    """Reads the saved offset; a missing or unreadable file means the real time."""
    if offset_file is None or not offset_file.is_file():
        return timedelta(0)
    try:
        seconds = float(json.loads(offset_file.read_text())["offset_seconds"])
    except (ValueError, KeyError, TypeError):
        return timedelta(0)
    return timedelta(seconds=max(seconds, 0.0))
