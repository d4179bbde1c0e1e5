"""The Bot API port spoken by python-telegram-bot 22: every PTB type and exception stays in here.

The port sits on a PTB `Application` built for what this bot asks of it: its bot pointed at
TELEGRAM_API_URL for calls and downloads, and nothing of its own machinery that the bot's tables
already do. No updater: intake (bot/intake.py) stores each update before acknowledging it, which
PTB's updater, acknowledging first, would not. No persistence, ConversationHandler, job queue or
rate limiter: the dialogs, the deadline jobs and the send limiter live in the database and in
Redis, shared by every process. The Application still owns the bot's lifecycle: `initialize`
asks getMe once and keeps the answer, `shutdown` closes its HTTP clients.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Sequence
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode

from telegram import BotCommand as PtbCommand
from telegram import (
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    TelegramError,
)
from telegram.error import RetryAfter as PtbRetryAfter
from telegram.ext import Application, ExtBot
from telegram.request import BaseRequest

from bot.transport.port import (
    Blocked,
    BotApiError,
    BotCommand,
    BotIdentity,
    Failed,
    Failure,
    FileKind,
    FileSource,
    Keyboard,
    Migrated,
    Outcome,
    Refused,
    RemoteFile,
    RetryAfter,
    Sent,
    Upload,
    data_of,
    outcome_of,
)
from bot.transport.ptb_request import build_request, last_answer

T = TypeVar("T")

# The statuses aiogram reads as refusals too (TelegramNotFound, TelegramEntityTooLarge), which
# PTB raises as InvalidToken and a bare NetworkError.
_REFUSED_STATUSES = (400, 404, 413)


def build_ptb_bot(
    token: str, api_base: str, requests: tuple[BaseRequest, BaseRequest] | None = None
) -> PtbBot:
    """The port on a PTB Application whose calls and downloads both go to `api_base`.

    `requests` (calls, long polls) replaces the HTTP layer, as the benchmark's in-process
    Telegram does."""
    # PTB 22's documented opt-in to time periods as timedelta: without it every 429 warns, as
    # it builds its RetryAfter, that retry_after will stop being an int.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    # The long poll has its own connection, as PTB keeps one, so that a held getUpdates never
    # waits for (or holds up) a send.
    calls, polls = requests or (build_request(), build_request())
    application = (
        Application.builder()
        .token(token)
        .base_url(f"{api_base}/bot")
        .base_file_url(f"{api_base}/file/bot")
        .request(calls)
        .get_updates_request(polls)
        .updater(None)
        .job_queue(None)
        .concurrent_updates(True)
        .build()
    )
    return PtbBot(application, calls, polls)


def failure_of(exc: Exception) -> Failure | None:
    """What a PTB exception means for the call; None for an exception that is a bug.

    Read in the task that made the call, right after it failed: Telegram's own answer (status,
    description) is there beside PTB's exception (bot/transport/ptb_request.py)."""
    if not isinstance(exc, TelegramError):
        return None
    answer = last_answer()
    said = answer.description if answer is not None and answer.description else exc.message
    if isinstance(exc, PtbRetryAfter):
        return RetryAfter(_seconds(exc))
    if isinstance(exc, ChatMigrated):
        return Migrated(exc.new_chat_id)
    if isinstance(exc, Forbidden):
        return Blocked(said)
    if isinstance(exc, BadRequest):
        return Refused(said)
    if answer is not None and answer.status in _REFUSED_STATUSES:
        return Refused(said)
    if isinstance(exc, InvalidToken):
        return Failed(said)  # 401: as aiogram, a token trouble is not this request's fault
    if isinstance(exc, NetworkError) and answer is None:
        # No answer at all (a timeout, a dropped connection): PTB's text names httpx's error.
        return Failed(exc.message or type(exc).__name__)
    return Failed(said or type(exc).__name__)


def _seconds(exc: PtbRetryAfter) -> float:
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.text, callback_data=b.callback_data) for b in row]
            for row in keyboard
        ]
    )


class PtbBot:
    """`BotPort` on a PTB Application (kept as `.application`, its bot as `.bot`)."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        calls: BaseRequest,
        polls: BaseRequest,
    ) -> None:
        self.application = application
        self.bot: ExtBot[Any] = application.bot
        self._calls = calls
        self._polls = polls

    async def _outcome(self, call: Awaitable[object]) -> Outcome:
        return await outcome_of(call, failure_of)

    async def _data(self, call: Awaitable[T]) -> T:
        return await data_of(call, failure_of)

    async def me(self) -> BotIdentity:
        await self._data(self.application.initialize())
        me = self.bot.bot
        return BotIdentity(me.id, me.username)

    async def send_text(
        self,
        chat_id: int,
        text: str,
        keyboard: Keyboard | None = None,
        *,
        request_timeout: float,
    ) -> Outcome:
        call = self.bot.send_message(
            chat_id,
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=_markup(keyboard),
            read_timeout=request_timeout,
            write_timeout=request_timeout,
        )
        return await self._outcome(call)

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
        options: dict[str, Any] = {
            "caption": caption,
            "parse_mode": ParseMode.HTML,
            "reply_markup": _markup(keyboard),
            "read_timeout": request_timeout,
            "write_timeout": request_timeout,
        }
        sent: str | InputFile = file if isinstance(file, str) else ""
        if isinstance(file, Upload):
            data = file.data
            # PTB holds an upload in memory whatever it is given; read off the event loop.
            content = data if isinstance(data, bytes) else await asyncio.to_thread(data.read_bytes)
            sent = InputFile(content, filename=file.filename)
        if kind == "photo":
            return await self._outcome(self.bot.send_photo(chat_id, sent, **options))
        if kind == "video":
            return await self._outcome(self.bot.send_video(chat_id, sent, **options))
        return await self._outcome(self.bot.send_document(chat_id, sent, **options))

    async def edit_text(
        self, chat_id: int, message_id: int, text: str, keyboard: Keyboard | None = None
    ) -> Outcome:
        call = self.bot.edit_message_text(
            text,
            chat_id=chat_id,
            message_id=message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=_markup(keyboard),
        )
        outcome = await self._outcome(call)
        return Sent(message_id) if isinstance(outcome, Sent) else outcome

    async def answer_callback(
        self, query_id: str, text: str | None = None, *, alert: bool = False
    ) -> Outcome:
        call = self.bot.answer_callback_query(query_id, text=text, show_alert=alert or None)
        return await self._outcome(call)

    async def clear_markup(self, chat_id: int, message_id: int) -> Outcome:
        call = self.bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id)
        outcome = await self._outcome(call)
        return Sent(message_id) if isinstance(outcome, Sent) else outcome

    async def get_updates(
        self, offset: int | None, poll_seconds: int, allowed_updates: Sequence[str]
    ) -> list[dict[str, Any]]:
        # Straight through PTB's request, not Bot.get_updates: that one turns every update into
        # PTB's objects (and would drop what it does not know) before any bound could be checked
        # (bot/update_bounds.py), and the inbox stores the JSON as Telegram sent it.
        # Its parameters in the query string, which the Bot API reads as it reads a form.
        given: dict[str, object] = {"timeout": poll_seconds}
        if offset is not None:
            given["offset"] = offset
        given["allowed_updates"] = json.dumps(list(allowed_updates))
        url = f"{self.bot.base_url}/getUpdates?{urlencode(given)}"
        result = await self._data(self._polls.post(url, read_timeout=poll_seconds + 10))
        if not isinstance(result, list):
            raise BotApiError(Failed(f"getUpdates answered {type(result).__name__}, not a list"))
        return result

    async def set_webhook(self, url: str, secret: str, allowed_updates: Sequence[str]) -> None:
        await self._data(
            self.bot.set_webhook(url, secret_token=secret, allowed_updates=list(allowed_updates))
        )

    async def delete_webhook(self) -> None:
        await self._data(self.bot.delete_webhook(drop_pending_updates=False))

    async def set_commands(
        self, commands: Sequence[BotCommand], language_code: str | None = None
    ) -> None:
        listed = [PtbCommand(c.command, c.description) for c in commands]
        await self._data(
            self.bot.set_my_commands(
                listed, scope=BotCommandScopeAllPrivateChats(), language_code=language_code
            )
        )

    async def file_info(self, file_id: str) -> RemoteFile:
        found = await self._data(self.bot.get_file(file_id))
        # PTB makes the path a URL under the file endpoint; the port speaks of the path.
        path = found.file_path
        if path is not None:
            path = path.removeprefix(f"{self.bot.base_file_url}/")
        return RemoteFile(path, found.file_size)

    async def download(self, path: str) -> bytes:
        url = f"{self.bot.base_file_url}/{path}"
        return await self._data(self._calls.retrieve(url))

    async def close(self) -> None:
        await self.application.shutdown()
        # Shut also when never initialised (no getMe was asked), which Application.shutdown skips.
        await self._calls.shutdown()
        await self._polls.shutdown()
