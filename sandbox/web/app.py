"""The sandbox's web chat: three panes (buyer, merchant, staff group), a clock and a reset.

The page (static/index.html, app.js, app.css: plain files, no build step) talks to this JSON API:

  GET  /api/state?rev=R        the snapshot (view.py); with `rev`, waits up to 25 s for a change
  GET  /api/texts              the page's texts in the browser's language (locales/web.*.toml)
  POST /api/panes/{pane}/send  {"text": "..."}: a message or a /command, as that pane's person
  POST /api/panes/{pane}/press {"message_id": n, "data": "..."}: an inline button
  POST /api/panes/{pane}/key   {"text": "..."}: a reply-keyboard button
  POST /api/panes/{pane}/upload  multipart file (+ caption, as_file): a photo, video or document
  GET  /api/files/{file_id}    a file in a chat (?download=1 to save it)
  POST /api/clock              {"hours": n} or {"working_days": n}: moves the sandbox clock on
  POST /api/reset              starts the sandbox over

Every POST answers with the new snapshot, so the page shows the person's own message at once.
POSTs must carry the header X-Sandbox: 1 and JSON bodies the JSON content type: a browser sends
neither cross-site without asking first, so another web site open in the same browser cannot act
in the sandbox; the page is served on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import filetype
from aiohttp import web

from locales import FALLBACK_LOCALE, LOCALES, load_texts
from sandbox.botapi import FakeUser, NoSuchButton
from sandbox.handle import SandboxHandle

from .view import PANES, PaneMemory, last_reply_markup, pane_user, snapshot

STATIC_DIR = Path(__file__).resolve().parent / "static"
WAIT_SECONDS = 25.0
# A change the page is not told of at once is still picked up within this many seconds.
RECHECK_SECONDS = 1.0
MAX_UPLOAD = 50 * 1024 * 1024  # what a bot may send; the Bot API lets bots download 20 MB
MAX_HOURS = 24 * 366
MAX_WORKING_DAYS = 250
# Pictures the page may show inline; any other file is only offered for download.
PREVIEWABLE = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

# The names this server answers to. Another name means a web page whose own domain was made to
# resolve to 127.0.0.1 (DNS rebinding): it would count as same-origin, so it is refused.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

HANDLE: web.AppKey[SandboxHandle] = web.AppKey("handle", SandboxHandle)
MEMORY: web.AppKey[dict[str, PaneMemory]] = web.AppKey("memory", dict)
CLOSING: web.AppKey[asyncio.Event] = web.AppKey("closing", asyncio.Event)


def build_web_app(sandbox: SandboxHandle) -> web.Application:
    """The web chat for a running sandbox; serve it on 127.0.0.1 only."""
    app = web.Application(client_max_size=MAX_UPLOAD + 1024 * 1024, middlewares=[_guard])
    app[HANDLE] = sandbox
    app[MEMORY] = {pane: PaneMemory(queries=[]) for pane in PANES}
    app[CLOSING] = asyncio.Event()
    app.on_shutdown.append(_closing)
    app.router.add_get("/", _index)
    app.router.add_static("/static/", STATIC_DIR)
    app.router.add_get("/api/state", _state)
    app.router.add_get("/api/texts", _texts)
    app.router.add_post("/api/panes/{pane}/send", _send)
    app.router.add_post("/api/panes/{pane}/press", _press)
    app.router.add_post("/api/panes/{pane}/key", _key)
    app.router.add_post("/api/panes/{pane}/upload", _upload)
    app.router.add_get("/api/files/{file_id}", _file)
    app.router.add_post("/api/clock", _clock)
    app.router.add_post("/api/reset", _reset)
    return app


class Refused(Exception):
    """A request the API does not carry out; answered as {"error": reason} with `status`."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@web.middleware
async def _guard(request: web.Request, handler: Any) -> web.StreamResponse:
    """Refuses other sites; answers refusals as JSON; adds the security headers."""
    try:
        if request.url.host not in LOOPBACK_HOSTS:
            raise Refused(403, "the sandbox answers on 127.0.0.1 only")
        if request.method == "POST" and request.headers.get("X-Sandbox") != "1":
            raise Refused(403, "missing X-Sandbox header")
        response: web.StreamResponse = await handler(request)
    except Refused as refused:
        response = _error(refused.status, refused.reason)
    except web.HTTPException as exc:  # aiohttp's own: an unknown path, a wrong method
        exc.headers.update(SECURITY_HEADERS)
        raise
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


async def _closing(app: web.Application) -> None:
    """Answers the waiting pages now, so stopping the sandbox does not wait out their polls."""
    app[CLOSING].set()


def _error(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


async def _index(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


def _snapshot(request: web.Request) -> dict[str, Any]:
    return snapshot(request.app[HANDLE], request.app[MEMORY])


async def _state(request: web.Request) -> web.Response:
    """The snapshot; with ?rev=R, held until it differs from R (or WAIT_SECONDS pass)."""
    since = request.query.get("rev")
    api = request.app[HANDLE].api
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while True:
        # Marked before looking, so a call the bot makes meanwhile ends the wait below at once.
        mark = api.mark()
        current = _snapshot(request)
        left = deadline - loop.time()
        closing = request.app[CLOSING].is_set()
        if since is None or current["rev"] != since or left <= 0 or closing:
            return web.json_response(current, headers={"Cache-Control": "no-store"})
        # Every change the bot makes is a Bot API call; the people's own changes are answered
        # by their POST. A reset empties the call log, which the periodic re-check covers.
        with contextlib.suppress(TimeoutError):
            await api.wait_for(lambda call: True, timeout=min(RECHECK_SECONDS, left), after=mark)


async def _texts(request: web.Request) -> web.Response:
    locale = _preferred_locale(request.headers.get("Accept-Language", ""))
    texts = {
        key.removeprefix("web."): text
        for key, text in load_texts(locale).items()
        if key.startswith("web.")
    }
    return web.json_response({"locale": locale, "texts": texts})


def _preferred_locale(accept_language: str) -> str:
    """The first of the browser's languages that the product has (zh_CN first otherwise)."""
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh_CN"
        for locale in LOCALES:
            if tag == locale.lower() or tag.split("-")[0] == locale.lower():
                return locale
    return FALLBACK_LOCALE


def _user(request: web.Request) -> FakeUser:
    try:
        return pane_user(request.app[HANDLE], request.match_info["pane"])
    except KeyError:
        raise Refused(404, "no such pane") from None


async def _json_body(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise Refused(415, "send JSON (Content-Type: application/json)")
    try:
        body = await request.json()
    except ValueError:
        raise Refused(400, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise Refused(400, "send a JSON object")
    return body


def _text_field(body: dict[str, Any], key: str = "text") -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise Refused(400, f"{key} must be a non-empty string")
    return value


async def _send(request: web.Request) -> web.Response:
    """A message typed in a pane; "/cmd args" goes as a command, as Telegram's client marks it."""
    user = _user(request)
    text = _text_field(await _json_body(request))
    if text.startswith("/") and len(text) > 1 and not text[1].isspace():
        command, _, args = text.partition(" ")
        await user.send_command(command, args.strip() or None)
    else:
        await user.send_text(text)
    return web.json_response(_snapshot(request))


async def _press(request: web.Request) -> web.Response:
    """An inline button pressed; only a button the message shows now can be pressed."""
    user = _user(request)
    body = await _json_body(request)
    data, message_id = _text_field(body, "data"), body.get("message_id")
    if not isinstance(message_id, int):
        raise Refused(400, "message_id must be a number")
    try:
        update = await user.click(message_id, data)
    except (NoSuchButton, LookupError) as exc:
        return _error(409, str(exc))
    request.app[MEMORY][request.match_info["pane"]].queries.append(update["callback_query"]["id"])
    return web.json_response(_snapshot(request))


async def _key(request: web.Request) -> web.Response:
    """A reply-keyboard button: Telegram sends its text (or the contact / location it asks for)."""
    user = _user(request)
    body = await _json_body(request)
    text = _text_field(body)
    memory = request.app[MEMORY][request.match_info["pane"]]
    found = last_reply_markup(user.chat_id, request.app[HANDLE].api.calls())
    if found is not None and found[1].get("one_time_keyboard"):
        memory.used_one_time_keyboard = found[0]
    asks = body.get("asks")
    if asks == "contact":
        await user.send_contact()
    elif asks == "location":
        await user.send_location()
    else:
        await user.send_text(text)
    return web.json_response(_snapshot(request))


async def _upload(request: web.Request) -> web.Response:
    """A file from disk: a picture goes as a photo (unless sent as a file), a video as a video."""
    user = _user(request)
    form = await request.post()
    upload = form.get("file")
    if not isinstance(upload, web.FileField):
        return _error(400, "no file in the form")
    content = upload.file.read()
    if not content:
        return _error(400, "the file is empty")
    caption = str(form.get("caption") or "").strip() or None
    as_file = str(form.get("as_file") or "") in ("1", "true", "on")
    kind = filetype.guess(content)
    mime = kind.mime if kind is not None else (upload.content_type or "application/octet-stream")
    name = Path(upload.filename or "file").name
    if not as_file and mime in PREVIEWABLE - {"image/gif"}:
        await user.send_photo(content, caption=caption)
    elif not as_file and mime.startswith("video/"):
        await user.send_video(content, file_name=name, mime_type=mime, caption=caption)
    else:
        await user.send_document(content, file_name=name, mime_type=mime, caption=caption)
    return web.json_response(_snapshot(request))


async def _file(request: web.Request) -> web.Response:
    """A file's bytes; pictures may be shown inline, everything else is a download."""
    stored = request.app[HANDLE].api.state.files.get(request.match_info["file_id"])
    if stored is None:
        return _error(404, "no such file")
    guessed = filetype.guess(stored.content)
    mime = guessed.mime if guessed is not None else "application/octet-stream"
    inline = mime in PREVIEWABLE and request.query.get("download") != "1"
    name = stored.file_name or Path(stored.file_path).name
    disposition = "inline" if inline else "attachment"
    headers = {
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name, safe='')}",
        # Opened on its own, a file is a sandboxed document that can run nothing.
        "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'",
        "Cache-Control": "private, max-age=3600",
    }
    return web.Response(body=stored.content, content_type=mime, headers=headers)


async def _clock(request: web.Request) -> web.Response:
    """Moves the sandbox clock forward by hours or by working days of the platform's calendar."""
    body = await _json_body(request)
    clock = request.app[HANDLE].clock
    hours, days = body.get("hours"), body.get("working_days")
    if isinstance(hours, int | float) and not isinstance(hours, bool) and 0 < hours <= MAX_HOURS:
        clock.advance(timedelta(hours=hours))
    elif isinstance(days, int) and not isinstance(days, bool) and 0 < days <= MAX_WORKING_DAYS:
        clock.advance_working_days(days)
    else:
        return _error(400, "give hours (0 < h) or working_days (a whole number from 1)")
    return web.json_response(_snapshot(request))


async def _reset(request: web.Request) -> web.Response:
    await request.app[HANDLE].reset()
    for memory in request.app[MEMORY].values():
        memory.queries.clear()
        memory.used_one_time_keyboard = None
    return web.json_response(_snapshot(request))
