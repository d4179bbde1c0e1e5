"""Wakes a process's outbox sender loop for rows handed back to the table."""

from __future__ import annotations

import asyncio
from datetime import datetime


class OutboxBell:
    """Tells this process's sender loop that a row was handed back to the table and when it
    falls due: a reply waiting behind an earlier message, a send to retry in half a second.
    The loop otherwise looks only every `idle` seconds once the table has run dry."""

    def __init__(self) -> None:
        self.due: datetime | None = None
        self.rung = asyncio.Event()

    def ring(self, due: datetime) -> None:
        if self.due is None or due < self.due:
            self.due = due
        self.rung.set()

    def take(self, now: datetime) -> bool:
        """True (and forgotten) when the rung time has come."""
        self.rung.clear()
        if self.due is not None and self.due <= now:
            self.due = None
            return True
        return False
