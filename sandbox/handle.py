"""What the sandbox's web page gets to work with: the local Bot API, the three people, the clock.

`sandbox.web.build_web_app(handle)` builds the page on this and nothing else, so the page can be
tested against a handle made from a bare FakeBotAPI, without the bot or a database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from .botapi import FakeBotAPI, FakeUser
from .clock import SandboxClock


@dataclass
class SandboxHandle:
    """The running sandbox as the web page sees it.

    The three people keep their identity across `reset()`: the same FakeUser objects and chat
    ids before and after, only the conversations, the database and the clock start over.
    """

    api: FakeBotAPI
    buyer: FakeUser
    """The buyer, in their private chat with the bot."""
    merchant: FakeUser
    """The demo merchant's account, in its private chat with the bot (bound to the merchant)."""
    staff: FakeUser
    """The staff admin, acting in the staff group (``staff.chat_id == staff_chat_id``)."""
    staff_chat_id: int
    """The staff group the bot reports cases to (its STAFF_CHAT_ID)."""
    clock: SandboxClock
    """The clock the bot and the local Bot API take their time from."""
    on_reset: Callable[[], Awaitable[None]] = field(repr=False)
    """Wipes the database, the evidence, the chats and the clock offset; sets the demo up again."""

    async def reset(self) -> None:
        """Starts the sandbox over from the demo set-up, while it keeps running."""
        await self.on_reset()
