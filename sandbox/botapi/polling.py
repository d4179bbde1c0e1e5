"""Pending updates, getUpdates long polling and the webhook setting, as Telegram keeps them."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from typing import Any

from .records import Upload
from .state import BotAPIError, BotState

# Update types Telegram leaves out unless a bot asks for them by name.
_OPT_IN_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


def update_type(update: dict[str, Any]) -> str:
    return next((key for key in update if key != "update_id"), "")


class UpdateQueue:
    """Holds updates until getUpdates confirms them with a higher offset."""

    def __init__(self) -> None:
        self.pending: list[dict[str, Any]] = []
        self.allowed_updates: frozenset[str] | None = None
        self.webhook: dict[str, Any] | None = None
        self.webhook_error: tuple[int, str] | None = None  # (date, message) of the last failure
        self._changed = asyncio.Condition()
        self._closing = False
        self._polls = itertools.count(1)
        self._current_poll = 0
        self.waiting_polls = 0
        self.methods = {
            "getupdates": self.get_updates,
            "setwebhook": self.set_webhook,
            "deletewebhook": self.delete_webhook,
            "getwebhookinfo": self.get_webhook_info,
        }

    async def put(self, update: dict[str, Any]) -> None:
        async with self._changed:
            self.pending.append(update)
            self._changed.notify_all()

    async def wait_changed(self, timeout: float) -> None:  # noqa: ASYNC109
        """Waits until an update arrives or the webhook changes, `timeout` seconds at most."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait()

    async def confirm(self, update_id: int) -> None:
        """Forgets one update the webhook took (answered 2xx)."""
        async with self._changed:
            self.pending = [u for u in self.pending if u["update_id"] != update_id]
            self.webhook_error = None

    def record_webhook_error(self, at: int, message: str) -> None:
        self.webhook_error = (at, message)

    def deliverable(self) -> list[dict[str, Any]]:
        """The pending updates of the types the bot asked for, oldest first."""
        return self._deliverable()

    async def close(self) -> None:
        """Releases every waiting long poll (with an empty result) so shutdown never hangs."""
        async with self._changed:
            self._closing = True
            self._changed.notify_all()

    async def wait_for_poll(self, timeout: float = 2.0) -> None:  # noqa: ASYNC109
        """Waits until a getUpdates call is waiting here with nothing to deliver."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: self.waiting_polls > 0)

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
        elif offset < 0:
            # A negative offset keeps only the last -offset updates and forgets the rest.
            self.pending = self.pending[offset:]

    def _deliverable(self) -> list[dict[str, Any]]:
        allowed = self.allowed_updates
        if allowed is None:
            self.pending = [u for u in self.pending if update_type(u) not in _OPT_IN_TYPES]
        else:
            # Telegram never produces updates of types the bot did not ask for.
            self.pending = [u for u in self.pending if update_type(u) in allowed]
        return self.pending

    async def get_updates(
        self, state: BotState, params: dict[str, Any], uploads: dict[str, Upload]
    ) -> Any:
        if self.webhook is not None:
            raise BotAPIError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        if "allowed_updates" in params:
            self.allowed_updates = frozenset(params["allowed_updates"] or []) or None
        poll = next(self._polls)
        async with self._changed:
            # A newer getUpdates ends an older one still waiting, as on the real server.
            self._current_poll = poll
            self._changed.notify_all()
            self._confirm(offset)

            def ready() -> bool:
                return self._closing or self._current_poll != poll or bool(self._deliverable())

            if timeout > 0 and not ready():
                self.waiting_polls += 1
                self._changed.notify_all()  # lets wait_for_poll see this poll waiting
                try:
                    async with asyncio.timeout(timeout):
                        await self._changed.wait_for(ready)
                except TimeoutError:
                    pass
                finally:
                    self.waiting_polls -= 1
            if self._current_poll != poll:
                raise BotAPIError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            return self._deliverable()[:limit]

    async def set_webhook(
        self, state: BotState, params: dict[str, Any], uploads: dict[str, Upload]
    ) -> Any:
        url = str(params.get("url") or "")
        if not url:
            return await self.delete_webhook(state, params, uploads)
        if not url.startswith("https://"):
            raise BotAPIError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        async with self._changed:
            self.webhook = {
                key: value for key, value in params.items() if key != "drop_pending_updates"
            }
            self.webhook_error = None
            self._changed.notify_all()  # wakes the delivery
        if "allowed_updates" in params:
            self.allowed_updates = frozenset(params["allowed_updates"] or []) or None
        await self._drop_if_asked(params)
        return True

    async def delete_webhook(
        self, state: BotState, params: dict[str, Any], uploads: dict[str, Upload]
    ) -> Any:
        self.webhook = None
        await self._drop_if_asked(params)
        return True

    async def _drop_if_asked(self, params: dict[str, Any]) -> None:
        if params.get("drop_pending_updates"):
            async with self._changed:
                self.pending.clear()

    def get_webhook_info(
        self, state: BotState, params: dict[str, Any], uploads: dict[str, Upload]
    ) -> Any:
        info: dict[str, Any] = {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.pending),
        }
        if self.webhook and "max_connections" in self.webhook:
            info["max_connections"] = self.webhook["max_connections"]
        if self.allowed_updates is not None:
            info["allowed_updates"] = sorted(self.allowed_updates)
        if self.webhook is not None and self.webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self.webhook_error
        return info
