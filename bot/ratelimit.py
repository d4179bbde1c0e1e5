"""Telegram's outbound limits: about 30 messages/s per bot, 1/s per chat, 20/min per group.

The sender asks `SendLimiter.reserve(chat_id)` before each message. The answer is "go" (0.0, and
the send is counted) or "ask again in N seconds" (nothing counted), so a chat that must wait never
holds up the others. `LocalSendLimiter` keeps the counts in this process; a Redis-backed limiter
(one budget shared by every bot process) can replace it behind the same protocol.

Hand-written rather than aiolimiter or limits: aiolimiter only offers a blocking `acquire` on the
event loop's clock, so it can neither say how long a chat must wait (to let other chats go first)
nor be tested with a fake clock; limits reads the wall clock too and checks several limits one
after another, not as one all-or-nothing reservation. What is needed here is ~60 lines.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class SendLimiter(Protocol):
    async def reserve(self, chat_id: int) -> float:
        """Counts one message to `chat_id` and returns 0.0 when every limit allows it now;
        otherwise counts nothing and returns how many seconds to wait before asking again."""
        ...


@dataclass(frozen=True)
class Limit:
    """At most `count` messages in any `per` seconds."""

    count: int
    per: float


# Telegram allows about 30 messages a second per bot. 29 leaves one a second for the jitter
# between the moment this process counts a send and the moment Telegram's server receives it:
# measured against the local server enforcing 30/s (`make bench`), 29 sustains ~27-28/s with no
# 429, while 30 provokes some. Direct replies to a user who just wrote (bot/sender.py) do not pass
# through here; they are one or two per update and answer the user's own message, and at the
# rates this bot sees they fit in that same headroom.
OVERALL = Limit(29, 1.0)
# ... and paced, one send every 1/29 s, rather than let through in bursts of 29: a burst counted
# at the end of one second but arriving a few milliseconds late falls into Telegram's next
# second together with the next burst, and that second sees more than 30.
PACE = Limit(1, 1 / 29)
# Telegram's 1/s per chat, with 100 ms for the same arrival jitter: two sends to one chat are
# never counted closer than 1.1 s, so they never arrive closer than 1 s.
PER_CHAT = Limit(1, 1.1)
PER_GROUP = Limit(20, 60.0)

# Windows of chats quiet for longer than their period are dropped this often, so a bot that has
# written to a million chats does not keep a million empty windows.
_SWEEP_EVERY = 1000
_SLACK = 1e-6


class _Window:
    """The send times still inside a limit's period, oldest first.

    A sliding window rather than a token bucket: the limits are stated as "N per period", and a
    bucket with a burst of N lets up to 2N through in some period; the window never does.
    """

    __slots__ = ("limit", "times")

    def __init__(self, limit: Limit) -> None:
        self.limit = limit
        self.times: deque[float] = deque()

    def wait(self, now: float) -> float:
        horizon = now - self.limit.per
        while self.times and self.times[0] <= horizon:
            self.times.popleft()
        if len(self.times) < self.limit.count:
            return 0.0
        # A microsecond more: waiting exactly the wait returned must free the slot, though
        # `now - per` (1/29 s is no binary fraction) may round a hair short of the send time.
        return self.times[0] - horizon + _SLACK

    def idle(self, now: float) -> bool:
        return not self.times or self.times[-1] <= now - self.limit.per


def is_group(chat_id: int) -> bool:
    # Bot API ids: users are positive, groups, supergroups and channels negative.
    return chat_id < 0


class LocalSendLimiter:
    """Sliding windows in this process: one overall, one per chat, one more per group chat."""

    def __init__(
        self,
        overall: Limit = OVERALL,
        per_chat: Limit = PER_CHAT,
        per_group: Limit = PER_GROUP,
        clock: Callable[[], float] = time.monotonic,
        pace: Limit | None = PACE,
    ) -> None:
        self._clock = clock
        self._overall = _Window(overall)
        self._pace = _Window(pace) if pace is not None else None
        self._per_chat = per_chat
        self._per_group = per_group
        self._chats: dict[int, _Window] = {}
        self._groups: dict[int, _Window] = {}
        self._reserves = 0

    async def reserve(self, chat_id: int) -> float:
        # No await inside: check-and-count is atomic on the event loop.
        return self.try_reserve(chat_id)

    def try_reserve(self, chat_id: int) -> float:
        """The synchronous `reserve`."""
        now = self._clock()
        windows = [self._overall, self._window(self._chats, chat_id, self._per_chat)]
        if self._pace is not None:
            windows.append(self._pace)
        if is_group(chat_id):
            windows.append(self._window(self._groups, chat_id, self._per_group))
        wait = max(window.wait(now) for window in windows)
        if wait > 0:
            return wait
        for window in windows:
            window.times.append(now)
        self._reserves += 1
        if self._reserves % _SWEEP_EVERY == 0:
            self._sweep(now)
        return 0.0

    def tracked_chats(self) -> int:
        return len(self._chats)

    @staticmethod
    def _window(windows: dict[int, _Window], chat_id: int, limit: Limit) -> _Window:
        window = windows.get(chat_id)
        if window is None:
            window = windows[chat_id] = _Window(limit)
        return window

    def _sweep(self, now: float) -> None:
        for windows in (self._chats, self._groups):
            for chat_id in [cid for cid, window in windows.items() if window.idle(now)]:
                del windows[chat_id]
