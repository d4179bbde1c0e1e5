"""Webhook delivery as Telegram does it: each pending update POSTed to the bot, in order.

Telegram posts an update as JSON to the webhook URL with the secret token in the
X-Telegram-Bot-Api-Secret-Token header, forgets it once the bot answers 2xx, and otherwise keeps
it, remembers the error for getWebhookInfo and tries again later. The webhook URL is the bot's
public https address; on loopback nothing listens there, so a test or the sandbox routes the
posts to the bot's own plain-HTTP server (what the TLS proxy in front of it would do). Without a
route nothing is posted, and updates wait as they would for an unreachable bot.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from .polling import UpdateQueue

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def routed_url(webhook_url: str, local_base: str) -> str:
    """Returns the webhook URL with its scheme and host replaced by `local_base`."""
    public = urlsplit(webhook_url)
    path = public.path or "/"
    query = f"?{public.query}" if public.query else ""
    return f"{local_base.rstrip('/')}{path}{query}"


def check_loopback(local_base: str) -> str:
    """Refuses a route off this machine: the local server never posts anywhere else."""
    parts = urlsplit(local_base)
    if parts.scheme not in ("http", "https") or parts.hostname not in _LOOPBACK_HOSTS:
        raise ValueError(f"webhook posts are routed to loopback only, not {local_base!r}")
    return local_base


class WebhookDelivery:
    """Posts the queue's deliverable updates to the routed webhook until closed."""

    def __init__(
        self,
        updates: UpdateQueue,
        clock: Callable[[], float] = time.time,
        retry_delay: float = 1.0,
    ) -> None:
        self.updates = updates
        self.clock = clock
        self.retry_delay = retry_delay
        self.route: str | None = None
        self.posted: list[dict[str, Any]] = []
        """Every update answered 2xx by the bot, in the order delivered."""

    async def run(self) -> None:
        """Delivers until cancelled; waits for news when there is nothing to post."""
        async with aiohttp.ClientSession() as http:
            while True:
                work = self._next()
                if work is None:
                    await self.updates.wait_changed(self.retry_delay)
                    continue
                url, secret, update = work
                if await self._post(http, url, secret, update):
                    await self.updates.confirm(update["update_id"])
                    self.posted.append(update)
                else:
                    await asyncio.sleep(self.retry_delay)

    def _next(self) -> tuple[str, str | None, dict[str, Any]] | None:
        webhook = self.updates.webhook
        if webhook is None or self.route is None:
            return None
        pending = self.updates.deliverable()
        if not pending:
            return None
        secret = webhook.get("secret_token")
        return routed_url(str(webhook["url"]), self.route), secret, pending[0]

    async def _post(
        self, http: aiohttp.ClientSession, url: str, secret: str | None, update: dict[str, Any]
    ) -> bool:
        headers = {SECRET_HEADER: secret} if secret else {}
        try:
            async with http.post(
                url, json=update, headers=headers, timeout=aiohttp.ClientTimeout(total=10)
            ) as answer:
                if 200 <= answer.status < 300:
                    return True
                reason = f"Wrong response from the webhook: {answer.status} {answer.reason}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            reason = f"Connection failed: {type(exc).__name__}"
        self.updates.record_webhook_error(int(self.clock()), reason)
        log.info("webhook delivery of update %s failed: %s", update["update_id"], reason)
        return False

