"""Case numbers cannot be enumerated: misses are counted per user and too many pause look-ups.

A miss is a case number that does not exist or is not the user's — both count alike, so the
limit says nothing about which numbers exist either. Misses are kept durably in the
ownership-attempts table under a key no order number can take (`LOOKUP_KEY`): it survives
restarts and is shared by every bot process, without a new table or migration; the session JSON
was not used because not every look-up path (buttons of side dialogs) loads the session.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Final

from dialogs.context import Turn

LOOKUP_KEY: Final = "~case-lookup"  # "~" never appears in an order number
MAX_MISSES: Final = 5
WINDOW: Final = timedelta(minutes=10)


async def lookups_paused(turn: Turn) -> bool:
    """True (after saying when to try again) when the user missed MAX_MISSES times in WINDOW."""
    misses = await turn.uow.ownership.latest_failures(turn.user.user_id, LOOKUP_KEY, MAX_MISSES)
    if len(misses) < MAX_MISSES:
        return False
    reopens = min(misses) + WINDOW
    if reopens <= turn.now:
        return False
    minutes = max(1, math.ceil((reopens - turn.now) / timedelta(minutes=1)))
    turn.say("lookup.too_many", minutes=minutes)
    return True


async def record_miss(turn: Turn) -> None:
    """Counts one unknown or foreign case number against the user."""
    await turn.uow.ownership.record_failure(turn.user.user_id, LOOKUP_KEY, turn.now)
