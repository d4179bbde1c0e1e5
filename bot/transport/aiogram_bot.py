"""The Bot API port spoken by aiogram 3: every aiogram type and exception stays in here."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

import aiohttp
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.methods import TelegramMethod
from aiogram.types import BotCommand as AiogramCommand
from aiogram.types import (
    BotCommandScopeAllPrivateChats,
    BufferedInputFile,
    FSInputFile,
    InlineKeyboardButton,
)
from aiogram.types import InlineKeyboardMarkup as Markup

from bot.transport.aiogram_session import keep_response_models
from bot.transport.port import (
    Blocked,
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

T = TypeVar("T")


def build_aiogram_bot(token: str, api_base: str) -> AiogramBot:
    """The port on an aiogram Bot whose calls and downloads both go to `api_base`."""
    bot = Bot(
        token=token,
        session=AiohttpSession(api=TelegramAPIServer.from_base(api_base)),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    return AiogramBot(keep_response_models(bot))


class GetRawUpdates(TelegramMethod[list[dict[str, Any]]]):
    """getUpdates, its updates left as JSON objects: aiogram's own GetUpdates validates each one
    into its types, before any bound could be checked (bot/update_bounds.py)."""

    __returning__ = list[dict[str, Any]]
    __api_method__ = "getUpdates"

    offset: int | None = None
    limit: int | None = None
    timeout: int | None = None
    allowed_updates: list[str] | None = None


def failure_of(exc: Exception) -> Failure | None:
    """What an aiogram exception means for the call; None for an exception that is a bug."""
    if isinstance(exc, TelegramRetryAfter):
        return RetryAfter(float(exc.retry_after))
    if isinstance(exc, TelegramForbiddenError):
        return Blocked(exc.message)
    if isinstance(exc, TelegramMigrateToChat):
        return Migrated(exc.migrate_to_chat_id)
    if isinstance(exc, TelegramBadRequest | TelegramNotFound | TelegramEntityTooLarge):
        return Refused(exc.message)
    if isinstance(exc, aiohttp.ClientError | TimeoutError):
        # aiohttp's own errors (a dropped connection, a cut-off body) say little beyond their
        # type, so the type leads the reason.
        text = str(exc)
        return Failed(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)
    if isinstance(exc, TelegramAPIError | ClientDecodeError | OSError):
        return Failed(str(exc) or type(exc).__name__)
    return None


def _markup(keyboard: Keyboard | None) -> Markup | None:
    if not keyboard:
        return None
    return Markup(
        inline_keyboard=[
            [InlineKeyboardButton(text=b.text, callback_data=b.callback_data) for b in row]
            for row in keyboard
        ]
    )


class AiogramBot:
    """`BotPort` on an aiogram `Bot` (kept as `.bot` for tests that watch its requests)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def _outcome(self, call: Awaitable[object]) -> Outcome:
        return await outcome_of(call, failure_of)

    async def _data(self, call: Awaitable[T]) -> T:
        return await data_of(call, failure_of)

    async def me(self) -> BotIdentity:
        me = await self._data(self.bot.me())
        return BotIdentity(me.id, me.username)

    async def send_text(
        self,
        chat_id: int,
        text: str,
        keyboard: Keyboard | None = None,
        *,
        request_timeout: float,
    ) -> Outcome:
        markup = _markup(keyboard)
        return await self._outcome(
            self.bot.send_message(
                chat_id, text, reply_markup=markup, request_timeout=int(request_timeout)
            )
        )

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
            "reply_markup": _markup(keyboard),
            "request_timeout": int(request_timeout),
        }
        sent: str | BufferedInputFile | FSInputFile = file if isinstance(file, str) else ""
        if isinstance(file, Upload):
            data = file.data
            if isinstance(data, bytes):
                sent = BufferedInputFile(data, filename=file.filename)
            else:
                sent = FSInputFile(data, filename=file.filename)
        if kind == "photo":
            return await self._outcome(self.bot.send_photo(chat_id, sent, **options))
        if kind == "video":
            return await self._outcome(self.bot.send_video(chat_id, sent, **options))
        return await self._outcome(self.bot.send_document(chat_id, sent, **options))

    async def edit_text(
        self, chat_id: int, message_id: int, text: str, keyboard: Keyboard | None = None
    ) -> Outcome:
        call = self.bot.edit_message_text(
            text=text, chat_id=chat_id, message_id=message_id, reply_markup=_markup(keyboard)
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
        method = GetRawUpdates(
            offset=offset, timeout=poll_seconds, allowed_updates=list(allowed_updates)
        )
        return await self._data(self.bot(method, request_timeout=poll_seconds + 10))

    async def set_webhook(self, url: str, secret: str, allowed_updates: Sequence[str]) -> None:
        await self._data(
            self.bot.set_webhook(url, secret_token=secret, allowed_updates=list(allowed_updates))
        )

    async def delete_webhook(self) -> None:
        await self._data(self.bot.delete_webhook(drop_pending_updates=False))

    async def set_commands(
        self, commands: Sequence[BotCommand], language_code: str | None = None
    ) -> None:
        listed = [AiogramCommand(command=c.command, description=c.description) for c in commands]
        await self._data(
            self.bot.set_my_commands(
                listed, scope=BotCommandScopeAllPrivateChats(), language_code=language_code
            )
        )

    async def file_info(self, file_id: str) -> RemoteFile:
        found = await self._data(self.bot.get_file(file_id))
        return RemoteFile(found.file_path, found.file_size)

    async def download(self, path: str) -> bytes:
        buffer = io.BytesIO()
        await self._data(self.bot.download_file(path, destination=buffer))
        return buffer.getvalue()

    async def close(self) -> None:
        await self.bot.session.close()
