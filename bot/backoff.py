"""The one backoff rule of the bot: capped exponential, its numbers chosen per use.

Attempt 1 waits `base`, attempt 2 twice that, and so on, never more than `cap`. Each retrying
loop or job keeps its own numbers (a deadline must not slip far behind, a platform outage is
theirs), but none writes the formula again. `jitter` spreads waits that many processes would
otherwise start at the same instant (a database that comes back): a wait of w becomes one
between w × (1 - jitter) and w.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

_MAX_EXPONENT = 30


@dataclass(frozen=True)
class Backoff:
    """How long to wait before attempt `attempts` + 1, after `attempts` failures in a row."""

    base: timedelta
    cap: timedelta | None = None
    jitter: float = 0.0
    random: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.base <= timedelta(0):
            raise ValueError("the base wait must be positive")
        if self.cap is not None and self.cap < self.base:
            raise ValueError("the cap must not be below the base wait")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("jitter is a fraction between 0 and 1")

    def __call__(self, attempts: int) -> timedelta:
        """The wait after `attempts` failures: base, 2 × base, 4 × base … up to the cap."""
        # Doubling stops at 2**30 (decades for any base): a timedelta cannot grow without end.
        wait = self.base * 2 ** min(max(attempts - 1, 0), _MAX_EXPONENT)
        if self.cap is not None:
            wait = min(wait, self.cap)
        if self.jitter:
            wait -= wait * (self.jitter * self.random())
        return wait

    def seconds(self, attempts: int) -> float:
        """The same wait in seconds, for `asyncio.sleep`."""
        return self(attempts).total_seconds()
