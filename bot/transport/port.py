"""The Bot API as the bot uses it, whatever library speaks it: one port, neutral outcomes.

Everything outside bot/transport/ talks to Telegram through `BotPort` and reads plain data:
updates are the Bot API's JSON objects (dicts, as stored in the inbox), keyboards are rows of
(label, callback data), and every call ends in one of a few outcomes that say what to do next
(record the message id, wait, stop writing to the chat, follow it to its new id, give up, try
again). An adapter (bot/transport/aiogram_bot.py; python-telegram-bot's beside it) maps its
library's answers and exceptions onto these and lets nothing of its own types out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

FileKind = Literal["photo", "video", "document"]


@dataclass(frozen=True, slots=True)
class KeyButton:
    """An inline button: its label (plain text) and the callback data a press sends back."""

    text: str
    callback_data: str


Keyboard = tuple[tuple[KeyButton, ...], ...]


@dataclass(frozen=True, slots=True)
class Upload:
    """A file not yet on Telegram's servers: bytes in memory (a chart drawn for the message) or
    a file on disk, streamed (an export)."""

    data: bytes | Path
    filename: str


FileSource = str | Upload  # a file id Telegram already has, or bytes to upload


@dataclass(frozen=True, slots=True)
class Sent:
    """Telegram took the message; `message_id` is its id in the chat (0 when none is given)."""

    message_id: int = 0


@dataclass(frozen=True, slots=True)
class RetryAfter:
    """429: flood control; the chat may be written to again after `seconds`."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Blocked:
    """403: the user blocked the bot, or it was removed from the group."""

    reason: str


@dataclass(frozen=True, slots=True)
class Migrated:
    """The group became a supergroup: its messages go to `chat_id` from now on."""

    chat_id: int


@dataclass(frozen=True, slots=True)
class Refused:
    """400/404/413 and the like: the same request would fail again."""

    reason: str


@dataclass(frozen=True, slots=True)
class Failed:
    """5xx, a network error, a timeout, an unreadable answer: worth another try later."""

    reason: str


Failure = RetryAfter | Blocked | Migrated | Refused | Failed
Outcome = Sent | Failure


class BotApiError(Exception):
    """A call that returns data (not an outcome) failed; `failure` says how."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(describe(failure))
        self.failure = failure


def describe(failure: Failure) -> str:
    """The failure as an operator reads it in a log or a row's last error."""
    if isinstance(failure, RetryAfter):
        return f"retry after {failure.seconds:g} s"
    if isinstance(failure, Migrated):
        return f"chat migrated to {failure.chat_id}"
    return failure.reason


T = TypeVar("T")
# An adapter's reading of its library's exception; None for one that is a bug, to be raised.
FailureOf = Callable[[Exception], Failure | None]


async def outcome_of(call: Awaitable[object], failure_of: FailureOf) -> Outcome:
    """A send's outcome: Sent with the message id the library's answer carries, or the
    failure its exception means."""
    try:
        result = await call
    except Exception as exc:
        failure = failure_of(exc)
        if failure is None:
            raise
        return failure
    message_id = getattr(result, "message_id", 0)
    return Sent(message_id if isinstance(message_id, int) else 0)


async def data_of(call: Awaitable[T], failure_of: FailureOf) -> T:
    """A call's data, or `BotApiError` with the failure its exception means."""
    try:
        return await call
    except Exception as exc:
        failure = failure_of(exc)
        if failure is None:
            raise
        raise BotApiError(failure) from exc


@dataclass(frozen=True, slots=True)
class BotIdentity:
    id: int
    username: str | None


@dataclass(frozen=True, slots=True)
class RemoteFile:
    """What getFile tells of a file: where to download it and, when known, its size."""

    path: str | None
    size: int | None


@dataclass(frozen=True, slots=True)
class BotCommand:
    command: str
    description: str


class BotPort(Protocol):
    """The Bot API calls the bot makes. Sends return an outcome; calls that return data raise
    `BotApiError` instead (or the adapter's own exception for a bug of its own)."""

    async def me(self) -> BotIdentity:
        """The bot itself (asked once, then remembered)."""
        ...

    async def send_text(
        self,
        chat_id: int,
        text: str,
        keyboard: Keyboard | None = None,
        *,
        request_timeout: float,
    ) -> Outcome:
        """sendMessage with HTML formatting."""
        ...

    async def send_file(
        self,
        chat_id: int,
        kind: FileKind,
        file: FileSource,
        caption: str | None = None,
        keyboard: Keyboard | None = None,
        *,
        request_timeout: float,
    ) -> Outcome:
        """sendPhoto, sendVideo or sendDocument: a file Telegram already has, by its id, or an
        upload."""
        ...

    async def edit_text(
        self, chat_id: int, message_id: int, text: str, keyboard: Keyboard | None = None
    ) -> Outcome:
        """editMessageText with HTML formatting."""
        ...

    async def answer_callback(
        self, query_id: str, text: str | None = None, *, alert: bool = False
    ) -> Outcome:
        """answerCallbackQuery: stops the button's spinner, optionally with a toast or alert."""
        ...

    async def clear_markup(self, chat_id: int, message_id: int) -> Outcome:
        """editMessageReplyMarkup without a keyboard: retires a message's buttons."""
        ...

    async def get_updates(
        self, offset: int | None, poll_seconds: int, allowed_updates: Sequence[str]
    ) -> list[dict[str, Any]]:
        """getUpdates, held open up to `poll_seconds`: the updates as the Bot API's JSON."""
        ...

    async def set_webhook(self, url: str, secret: str, allowed_updates: Sequence[str]) -> None:
        """setWebhook with its secret token."""
        ...

    async def delete_webhook(self) -> None:
        """deleteWebhook, keeping pending updates (polling takes them)."""
        ...

    async def set_commands(
        self, commands: Sequence[BotCommand], language_code: str | None = None
    ) -> None:
        """setMyCommands for private chats, in one language (None: everyone else's list)."""
        ...

    async def file_info(self, file_id: str) -> RemoteFile:
        """getFile."""
        ...

    async def download(self, path: str) -> bytes:
        """The bytes of a file getFile described, from the file endpoint."""
        ...

    async def close(self) -> None:
        """Closes the HTTP session."""
        ...
