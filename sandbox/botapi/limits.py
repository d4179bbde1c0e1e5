"""Telegram's flood limits, enforced by the local server when asked (`FakeBotAPI(limits=...)`).

Telegram answers 429 "Too Many Requests: retry after N" to a bot that sends faster than about
30 messages per second overall, more than one message per second to one chat, or more than 20
messages per minute to one group. Off by default: the tests and the sandbox send freely unless a
test (or the outbound benchmark) wants to see whether the bot's own limiter keeps below them.

Sliding windows over the time each accepted message arrived; a refused message is not counted,
as Telegram does not count it either. Hand-written because it is the server side of the same
~30 lines as bot/ratelimit.py, which the sandbox must not import (it would test the bot with
itself).
"""

from __future__ import annotations

import math
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# The methods that post a message into a chat; edits, answers and reads are not limited here.
SENDING_METHODS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "sendvideo",
        "sendaudio",
        "sendvoice",
        "sendanimation",
        "sendsticker",
        "sendmediagroup",
        "sendlocation",
        "sendcontact",
        "copymessage",
        "forwardmessage",
    }
)


@dataclass(frozen=True)
class Rate:
    """At most `count` messages in any `per` seconds."""

    count: int
    per: float


@dataclass
class _Window:
    rate: Rate
    times: deque[float] = field(default_factory=deque)

    def wait(self, now: float) -> float:
        """Seconds until one more message fits (0.0: it fits now)."""
        horizon = now - self.rate.per
        while self.times and self.times[0] <= horizon:
            self.times.popleft()
        if len(self.times) < self.rate.count:
            return 0.0
        return self.times[0] - horizon


class FloodLimits:
    """Counts accepted sends per bot, per chat and per group; says how long a refused one waits."""

    def __init__(
        self,
        overall: Rate = Rate(30, 1.0),
        per_chat: Rate = Rate(1, 1.0),
        per_group: Rate = Rate(20, 60.0),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._overall = _Window(overall)
        self._per_chat = per_chat
        self._per_group = per_group
        self._chats: dict[str, _Window] = {}
        self._groups: dict[str, _Window] = {}
        self.accepted = 0
        self.refused = 0
        # Which limit refused them: "overall", "chat" or "group".
        self.refused_by: Counter[str] = Counter()

    def check(self, method: str, params: dict[str, Any]) -> int | None:
        """Counts the call and returns None if it may go; else the retry_after (whole seconds)."""
        if method.lower() not in SENDING_METHODS or params.get("chat_id") is None:
            return None
        chat = str(params["chat_id"])
        windows = {
            "overall": self._overall,
            "chat": self._chats.setdefault(chat, _Window(self._per_chat)),
        }
        if _is_group(chat):
            windows["group"] = self._groups.setdefault(chat, _Window(self._per_group))
        now = self._clock()
        waits = {name: window.wait(now) for name, window in windows.items()}
        wait = max(waits.values())
        if wait > 0:
            self.refused += 1
            self.refused_by[max(waits, key=waits.__getitem__)] += 1
            # Telegram states retry_after in whole seconds, never 0.
            return max(1, math.ceil(wait))
        for window in windows.values():
            window.times.append(now)
        self.accepted += 1
        return None


def _is_group(chat: str) -> bool:
    # Users have positive ids; groups, supergroups and channels negative ones ("@name" too).
    return chat.startswith(("-", "@"))
