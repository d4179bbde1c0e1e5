"""What the bot asked the fake Bot API, kept in order so tests can read and await it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .markup import to_plain_text

# Methods whose result is the message the user now sees; `sent_messages` reads these.
TEXT_METHODS = frozenset({"sendmessage", "editmessagetext"})


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request, as the bot uploaded it."""

    filename: str
    content: bytes
    content_type: str | None = None


@dataclass
class ApiCall:
    """One request to the fake server: method, JSON-decoded params, arrival time (monotonic)."""

    method: str
    params: dict[str, Any]
    at: float
    status: int = 200
    result: Any = None
    description: str | None = None
    uploads: dict[str, Upload] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == 200

    def is_(self, method: str) -> bool:
        """Tells whether this call is `method` (Bot API method names are case-insensitive)."""
        return self.method.lower() == method.lower()


@dataclass(frozen=True)
class SentMessage:
    """A text the bot showed in a chat: a sendMessage, or an editMessageText of an earlier one."""

    method: str
    chat_id: int | str
    message_id: int | None
    text: str
    """The text exactly as sent (with HTML tags and escapes if parse_mode was HTML)."""
    plain_text: str
    """The text as the user reads it: tags removed, entities unescaped."""
    reply_markup: dict[str, Any] | None
    """The markup exactly as sent: inline keyboard, reply keyboard, remove or force reply."""
    params: dict[str, Any]

    @property
    def buttons(self) -> list[str]:
        """Returns the button texts of the inline or reply keyboard, row by row."""
        rows: list[list[Any]] = []
        if self.reply_markup:
            rows = (
                self.reply_markup.get("inline_keyboard") or self.reply_markup.get("keyboard") or []
            )
        return [
            button if isinstance(button, str) else str(button.get("text", ""))
            for row in rows
            for button in row
        ]

    @property
    def callback_data(self) -> list[str]:
        """Returns the callback_data of every inline button that has one, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


class CallLog:
    """An ordered record of API calls with an awaitable `wait_for`."""

    def __init__(self) -> None:
        self._calls: list[ApiCall] = []
        self._changed = asyncio.Condition()

    async def record(self, call: ApiCall) -> None:
        async with self._changed:
            self._calls.append(call)
            self._changed.notify_all()

    def calls(self, method: str | None = None) -> list[ApiCall]:
        if method is None:
            return list(self._calls)
        return [call for call in self._calls if call.is_(method)]

    def mark(self) -> int:
        """Returns a position to pass as `after=` so a wait only sees calls made from now on."""
        return len(self._calls)

    def clear(self) -> None:
        self._calls.clear()

    def sent_messages(self, chat_id: int | str) -> list[SentMessage]:
        """Returns the successful sendMessage / editMessageText calls to a chat, in order."""
        sent = []
        for call in self._calls:
            if call.method.lower() not in TEXT_METHODS or not call.ok:
                continue
            if str(call.params.get("chat_id")) != str(chat_id):
                continue
            message_id = call.params.get("message_id")
            if isinstance(call.result, dict):
                message_id = call.result.get("message_id", message_id)
            text = str(call.params.get("text", ""))
            sent.append(
                SentMessage(
                    method=call.method,
                    chat_id=call.params["chat_id"],
                    message_id=message_id,
                    text=text,
                    plain_text=to_plain_text(text, call.params.get("parse_mode")),
                    reply_markup=call.params.get("reply_markup"),
                    params=call.params,
                )
            )
        return sent

    async def wait_for(
        self,
        predicate: Callable[[ApiCall], bool],
        timeout: float = 2.0,  # noqa: ASYNC109  (a bounded wait is the point of this helper)
        *,
        after: int = 0,
    ) -> ApiCall:
        """Waits until a call at position `after` or later matches, and returns the first one."""

        def first_match() -> ApiCall | None:
            return next((c for c in self._calls[after:] if predicate(c)), None)

        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(lambda: first_match() is not None)
        except TimeoutError:
            seen = ", ".join(f"{c.method}({c.status})" for c in self._calls[after:]) or "none"
            msg = f"no matching Bot API call within {timeout}s; calls seen: {seen}"
            raise TimeoutError(msg) from None
        match = first_match()
        if match is None:  # wait_for returned, so a match exists; this satisfies the type checker
            raise RuntimeError("matched call disappeared")
        return match
