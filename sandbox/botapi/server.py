"""A fake Telegram Bot API server on 127.0.0.1 that the real aiogram Bot and poller talk to."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from aiogram import Bot
from aiogram.client.telegram import TelegramAPIServer
from aiohttp import web
from aiohttp.web_runner import AppRunner, TCPSite

from .limits import FloodLimits
from .methods import METHODS, Handler
from .params import MAX_BODY, default_description, read_params
from .polling import UpdateQueue
from .records import ApiCall, CallLog, SentMessage
from .session import LocalAiohttpSession
from .state import BotAPIError, BotState, FakeChat
from .users import FakeUser
from .webhook import WebhookDelivery, check_loopback

log = logging.getLogger(__name__)

# The name file downloads go by among the injected failures (no Bot API method has it).
DOWNLOAD = "file download"

@dataclass
class _Failure:
    method: str
    error: BotAPIError | None  # None: drop the connection instead of answering
    chat_id: int | str | None
    remaining: int
    cut: bool = False  # a file download: send half the body, then drop the connection

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        if self.method != method:
            return False
        return self.chat_id is None or str(params.get("chat_id")) == str(self.chat_id)


class FakeBotAPI:
    """`async with FakeBotAPI() as api:` serves the Bot API at `api.base_url` until it ends."""

    def __init__(
        self,
        token: str = "123:ABC",  # noqa: S107  (a fake token for a fake server)
        *,
        username: str = "complaint_test_bot",
        first_name: str = "Complaint Test Bot",
        bot_id: int | None = None,
        strict_chats: bool = False,
        clock: Callable[[], float] = time.time,
        port: int = 0,
        limits: FloodLimits | None = None,
    ) -> None:
        self.token = token
        self._bind_port = port  # 0: any free port
        # Telegram's flood limits (429 past them); None, the default, lets every send through.
        self.limits = limits
        bot_user = {
            "id": bot_id if bot_id is not None else int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.state = BotState(bot_user=bot_user, clock=clock, strict_chats=strict_chats)
        self.log = CallLog()
        self.updates = UpdateQueue()
        self.webhook = WebhookDelivery(self.updates, clock)
        self._webhook_task: asyncio.Task[None] | None = None
        self.unexpected_calls: list[ApiCall] = []
        self.downloads: list[str] = []
        self._methods: dict[str, Handler] = dict(METHODS)
        self._failures: list[_Failure] = []
        self._one_in: dict[str, tuple[int, BotAPIError]] = {}  # method: (n, error)
        self._one_in_calls: dict[str, int] = {}
        self._delays: dict[str, float] = {}
        self._closed = asyncio.Event()
        self._runner: AppRunner | None = None
        self._port: int | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_get("/file/bot{token}/{path:.+}", self._serve_file)
        app.router.add_route("*", "/bot{token}/{method}", self._serve_method)
        app.router.add_route("*", "/{tail:.*}", self._serve_unknown_path)
        self._runner = AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        # Loopback only: the token is fake and anyone who can reach the port can act as Telegram.
        site = TCPSite(self._runner, "127.0.0.1", self._bind_port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        self._webhook_task = asyncio.create_task(self.webhook.run(), name="fake-webhook")

    async def close(self) -> None:
        """Stops serving; long polls and delayed calls in flight are released first."""
        self._closed.set()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        await self.updates.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def port(self) -> int:
        if self._port is None:
            msg = "FakeBotAPI is not started"
            raise RuntimeError(msg)
        return self._port

    @property
    def base_url(self) -> str:
        """The value for TELEGRAM_API_URL / TelegramAPIServer.from_base."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def bot_user(self) -> dict[str, Any]:
        return self.state.bot_user

    def make_bot(self, **kwargs: Any) -> Bot:
        """Returns a real aiogram Bot wired to this server; the caller closes its session."""
        session = LocalAiohttpSession(api=TelegramAPIServer.from_base(self.base_url))
        return Bot(self.token, session=session, **kwargs)

    def user(self, id: int = 1001, first_name: str = "小明", **kwargs: Any) -> FakeUser:
        """Returns a FakeUser writing to this bot from a private chat."""
        return FakeUser(self, id=id, first_name=first_name, **kwargs)

    def add_chat(self, chat: FakeChat) -> FakeChat:
        """Makes a chat known (getChat, and sends when strict_chats is on)."""
        return self.state.add_chat(chat)

    def add_method(self, name: str, handler: Handler) -> None:
        """Serves one more Bot API method: handler(state, params, uploads) -> result."""
        self._methods[name.lower()] = handler

    def route_webhook(self, local_base: str | None) -> None:
        """Posts webhook updates to `local_base` + the webhook URL's path (None: post nothing).

        The webhook URL is the bot's public https address; this plays the TLS proxy in front of
        the bot's own plain-HTTP server. Loopback addresses only.
        """
        self.webhook.route = None if local_base is None else check_loopback(local_base)

    def forget_conversations(self) -> None:
        """Forgets messages, files, pending updates and recorded calls; chats and users stay."""
        self.state.forget_conversations()
        self.updates.pending.clear()
        self.downloads.clear()
        self.clear()

    # -- what the bot did ------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[ApiCall]:
        return self.log.calls(method)

    def sent_messages(self, chat_id: int | str) -> list[SentMessage]:
        return self.log.sent_messages(chat_id)

    def mark(self) -> int:
        return self.log.mark()

    async def wait_for(
        self,
        predicate: Callable[[ApiCall], bool],
        timeout: float = 2.0,  # noqa: ASYNC109  (a bounded wait is the point of this helper)
        *,
        after: int = 0,
    ) -> ApiCall:
        return await self.log.wait_for(predicate, timeout, after=after)

    async def wait_for_call(
        self,
        method: str,
        *,
        chat_id: int | str | None = None,
        ok: bool | None = True,
        timeout: float = 2.0,  # noqa: ASYNC109  (a bounded wait is the point of this helper)
        after: int = 0,
    ) -> ApiCall:
        """Waits for a call of `method` (to `chat_id`; successful unless ok=None/False)."""

        def matches(call: ApiCall) -> bool:
            if not call.is_(method) or (ok is not None and call.ok != ok):
                return False
            return chat_id is None or str(call.params.get("chat_id")) == str(chat_id)

        return await self.log.wait_for(matches, timeout, after=after)

    def clear(self) -> None:
        """Forgets recorded calls and unexpected calls (not chats, messages or files)."""
        self.log.clear()
        self.unexpected_calls.clear()

    def assert_no_unexpected_calls(self) -> None:
        if self.unexpected_calls:
            listed = "; ".join(
                f"{c.method} -> {c.status} {c.description} {c.params}"
                for c in self.unexpected_calls
            )
            msg = f"unexpected Bot API calls: {listed}"
            raise AssertionError(msg)

    # -- failure injection -----------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 429,
        *,
        description: str | None = None,
        retry_after: int = 3,
        times: int = 1,
        chat_id: int | str | None = None,
    ) -> None:
        """Answers the next `times` calls of `method` (to `chat_id`, if given) with an error."""
        parameters = {"retry_after": retry_after} if status == 429 else {}
        text = description or default_description(status, retry_after)
        error = BotAPIError(status, text, **parameters)
        self._failures.append(_Failure(method.lower(), error, chat_id, times))

    def fail_one_in(self, n: int, *methods: str, status: int = 500) -> None:
        """Answers every `n`th call of each of `methods` with `status` (a flaky Bot API), until
        called again with n = 0."""
        error = BotAPIError(status, default_description(status, 3))
        for method in methods:
            if n > 0:
                self._one_in[method.lower()] = (n, error)
                self._one_in_calls[method.lower()] = 0
            else:
                self._one_in.pop(method.lower(), None)

    def disconnect_next(self, method: str, *, times: int = 1) -> None:
        """Drops the connection on the next `times` calls of `method` (a network error)."""
        self._failures.append(_Failure(method.lower(), None, None, times))

    def fail_next_download(self, status: int = 502, *, times: int = 1) -> None:
        """Answers the next `times` file downloads with an HTTP error instead of the file."""
        self._failures.append(
            _Failure(DOWNLOAD, BotAPIError(status, default_description(status, 0)), None, times)
        )

    def disconnect_next_download(self, *, times: int = 1) -> None:
        """Drops the connection on the next `times` file downloads before answering."""
        self._failures.append(_Failure(DOWNLOAD, None, None, times))

    def cut_next_download(self, *, times: int = 1) -> None:
        """Sends only half of the file on the next `times` downloads, then drops the connection."""
        self._failures.append(_Failure(DOWNLOAD, None, None, times, cut=True))

    def delay(self, method: str, seconds: float) -> None:
        """Holds every call of `method` for `seconds` before answering; 0 stops delaying."""
        if seconds > 0:
            self._delays[method.lower()] = seconds
        else:
            self._delays.pop(method.lower(), None)

    def block(self, chat_id: int) -> None:
        """From now on sends to this chat fail with 403, as when a user blocks the bot."""
        self.state.blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self.state.blocked.discard(chat_id)

    def _take_failure(self, method: str, params: dict[str, Any]) -> _Failure | None:
        for failure in self._failures:
            if failure.matches(method, params):
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self._failures.remove(failure)
                return failure
        if method in self._one_in:
            n, error = self._one_in[method]
            self._one_in_calls[method] += 1
            if self._one_in_calls[method] % n == 0:
                return _Failure(method, error, None, 0)
        return None

    async def _hold(self, method: str) -> None:
        seconds = self._delays.get(method)
        if seconds:
            try:
                async with asyncio.timeout(seconds):
                    await self._closed.wait()
            except TimeoutError:
                pass

    # -- updates ---------------------------------------------------------------------------

    async def wait_for_poll(self, timeout: float = 2.0) -> None:  # noqa: ASYNC109
        """Waits until the bot is long polling with nothing left to receive."""
        await self.updates.wait_for_poll(timeout)

    async def queue_update(self, update: dict[str, Any]) -> None:
        """Makes an Update available to getUpdates (and wakes a waiting long poll).

        A raw update without an update_id gets the next one.
        """
        if "update_id" not in update:
            update = {"update_id": self.state.next_update_id(), **update}
        await self.updates.put(update)

    # -- HTTP ------------------------------------------------------------------------------

    async def _serve_method(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        call = ApiCall(method, {}, time.monotonic())
        try:
            call.params, call.uploads = await read_params(request)
        except ValueError:
            return await self._answer(call, BotAPIError(400, "Bad Request: can't parse request"))
        if request.match_info["token"] != self.token:
            return await self._answer(call, BotAPIError(401, "Unauthorized"), unexpected=True)
        key = method.lower()
        await self._hold(key)
        failure = self._take_failure(key, call.params)
        if failure is not None and failure.error is None:
            call.status, call.description = 0, "connection dropped"
            await self.log.record(call)
            if request.transport is not None:
                request.transport.abort()
            return web.Response()
        if failure is not None and failure.error is not None:
            return await self._answer(call, failure.error)
        retry_after = self.limits.check(key, call.params) if self.limits is not None else None
        if retry_after is not None:
            too_many = BotAPIError(
                429, default_description(429, retry_after), retry_after=retry_after
            )
            return await self._answer(call, too_many)
        handler = self.updates.methods.get(key) or self._methods.get(key)
        if handler is None:
            # Telegram's answer to a method it does not have; logged so a run shows what the
            # bot asked for that this server (and so the tests) do not cover.
            log.warning("unsupported Bot API method %s called", method)
            return await self._answer(call, BotAPIError(404, "Not Found"), unexpected=True)
        try:
            result = handler(self.state, call.params, call.uploads)
            if inspect.isawaitable(result):
                result = await result
        except BotAPIError as error:
            return await self._answer(call, error)
        except Exception as error:  # a bug in the fake itself: answer 500 and fail the test loudly
            text = f"Internal Server Error (fake server: {type(error).__name__}: {error})"
            return await self._answer(call, BotAPIError(500, text), unexpected=True)
        call.result = result
        await self.log.record(call)
        return web.json_response({"ok": True, "result": result})

    async def _answer(
        self, call: ApiCall, error: BotAPIError, *, unexpected: bool = False
    ) -> web.Response:
        call.status, call.description = error.status, error.description
        if unexpected:
            self.unexpected_calls.append(call)
        await self.log.record(call)
        return web.json_response(error.body(), status=error.status)

    async def _serve_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(BotAPIError(401, "Unauthorized").body(), status=401)
        path = request.match_info["path"]
        stored = self.state.files.by_path(path)
        if stored is None:
            return web.json_response(BotAPIError(404, "Not Found").body(), status=404)
        failure = self._take_failure(DOWNLOAD, {})
        if failure is not None and failure.error is not None:
            return web.json_response(failure.error.body(), status=failure.error.status)
        if failure is not None:
            return await self._broken_download(request, stored.content, cut=failure.cut)
        self.downloads.append(path)
        return web.Response(
            body=stored.content, content_type=stored.mime_type or "application/octet-stream"
        )

    async def _broken_download(
        self, request: web.Request, content: bytes, *, cut: bool
    ) -> web.StreamResponse:
        if cut:
            response = web.StreamResponse(headers={"Content-Length": str(len(content))})
            await response.prepare(request)
            await response.write(content[: len(content) // 2])
        if request.transport is not None:
            request.transport.abort()
        return web.Response()

    async def _serve_unknown_path(self, request: web.Request) -> web.StreamResponse:
        call = ApiCall(request.path, dict(request.query), time.monotonic())
        return await self._answer(call, BotAPIError(404, "Not Found"), unexpected=True)
