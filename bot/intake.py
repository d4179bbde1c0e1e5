"""Where updates come in: long polling or the webhook, each storing before acknowledging.

Polling asks getUpdates for news, commits them to the inbox, and only then moves the offset on
(the next getUpdates is what tells Telegram they arrived). The webhook answers Telegram's POST
with 200 only after the commit; anything else makes Telegram deliver the update again. Either
way a crash loses nothing, and a redelivered update is stored once.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.inbox import InboxWorker, store_updates
from bot.supervisor import LoopHealth
from bot.transport.port import BotPort

if TYPE_CHECKING:
    from aiohttp import web

    from bot.deps import Deps

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name, not a secret)
HEALTH_PATH = "/healthz"


class PollingIntake:
    """Long polls getUpdates; an update is acknowledged only once the inbox holds it."""

    def __init__(
        self,
        deps: Deps,
        bot: BotPort,
        worker: InboxWorker,
        allowed_updates: Sequence[str],
        timeout: int,
    ) -> None:
        self.deps = deps
        self.bot = bot
        self.worker = worker
        self.allowed_updates = list(allowed_updates)
        self.timeout = timeout
        self.offset: int | None = None

    async def run_forever(self, health: LoopHealth | None = None) -> None:
        """Polls until cancelled; cancelling mid-poll loses nothing (the offset did not move).

        A failed getUpdates or commit is retried with backoff; each answered poll is reported
        to `health` (bot/supervisor.py)."""
        health = health or LoopHealth("polling")
        while True:
            try:
                await self.poll_once()
            except Exception as exc:
                delay = health.failed(exc)
                log.warning(
                    "getUpdates or storing updates failed: %r; retrying in %.1f s", exc, delay
                )
                await asyncio.sleep(delay)
            else:
                health.ok()

    async def poll_once(self) -> int:
        """One getUpdates; stores what came and moves the offset past it. Returns how many."""
        # Raw JSON objects: store_updates bounds each one before anything reads it.
        updates = await self.bot.get_updates(self.offset, self.timeout, self.allowed_updates)
        if not updates:
            return 0
        await store_updates(self.deps, updates)
        # Committed: the next getUpdates may now confirm these to Telegram.
        self.offset = int(updates[-1]["update_id"]) + 1
        self.worker.wake()
        return len(updates)


def build_webhook_app(deps: Deps, worker: InboxWorker, path: str, secret: str) -> web.Application:
    """The webhook endpoint at `path` (secret-checked) and GET /healthz."""
    # Loaded for webhook mode only: aiohttp's server side is a fifth of its import time, and a
    # polling bot (the usual one) never serves HTTP.
    from aiohttp import web

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            log.warning("webhook request without the right secret token from %s", request.remote)
            return web.json_response({"ok": False, "error": "forbidden"}, status=403)
        try:
            payload: Any = await request.json()
            if not isinstance(payload, dict):
                raise ValueError("an update is a JSON object")
            await store_updates(deps, [payload])
        except (ValueError, RecursionError) as exc:
            # RecursionError: JSON nested past what the parser follows, which no update is.
            log.warning("webhook got a malformed update: %r", exc)
            return web.json_response({"ok": False, "error": "malformed update"}, status=400)
        except web.HTTPRequestEntityTooLarge as exc:
            # Past aiohttp's 1 MiB, a thousand times a real update: unread, and not asked for again.
            log.warning("webhook refused an update unread: %s", exc.text)
            return web.json_response({"ok": False, "error": "too large"})
        except Exception:
            # Not stored: a non-2xx answer makes Telegram deliver it again later.
            log.exception("storing a webhook update failed")
            return web.json_response({"ok": False, "error": "not stored"}, status=500)
        worker.wake()
        return web.json_response({"ok": True})

    async def health(request: web.Request) -> web.Response:
        try:
            async with deps.uow() as uow:
                backlog = await uow.inbox.backlog()
        except Exception as exc:
            log.warning("health check: database unreachable: %r", exc)
            return web.json_response({"status": "error", "database": "unreachable"}, status=503)
        return web.json_response({"status": "ok", "database": "ok", "inbox_backlog": backlog})

    app = web.Application()
    app.router.add_post(path, receive)
    app.router.add_get(HEALTH_PATH, health)
    return app


async def start_webhook_server(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Listens on host:port; `await runner.cleanup()` stops taking requests."""
    from aiohttp import web
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
