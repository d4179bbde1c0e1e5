"""Keeps the local server's chats in a file as they change, so a killed sandbox loses little.

Each change marks the chats dirty; the keeper waits `delay` for the rest of a burst (a reply
with its buttons, an edit, a file) and writes them once, to a temporary file renamed over the
old one, so the file is always one whole state: a kill -9 loses at most the last `delay`, and
never leaves a half-written file behind. (No fsync: the sandbox guards against a killed
process, not a lost disk.) A failed write is logged and tried again; it never ends the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from pathlib import Path

from .botapi.state import BotState

log = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 0.3
RETRY_SECONDS = 5.0


class ChatsKeeper:
    """Writes `state.to_json()` to `path` soon after each change, until closed."""

    def __init__(
        self,
        state: BotState,
        path: Path,
        *,
        delay: float = DEBOUNCE_SECONDS,
        retry: float = RETRY_SECONDS,
    ) -> None:
        self._state = state
        self._path = path
        self._delay = delay
        self._retry = retry
        self._dirty = asyncio.Event()
        self._closing = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self.writes = 0

    def start(self) -> None:
        self._state.on_change = self._dirty.set
        self._closing.clear()
        self._task = asyncio.create_task(self._run(), name="sandbox-chats")
        self._task.add_done_callback(_report_end)

    async def close(self) -> None:
        """Stops watching; a write under way finishes first. Call `write` for a last one."""
        self._state.on_change = None
        self._closing.set()
        self._dirty.set()  # wakes the loop to end
        task, self._task = self._task, None
        if task is not None:
            await task

    async def write(self) -> None:
        """Writes the chats as they are now (one write at a time)."""
        async with self._lock:
            # Serialized here, on the loop that changes the state; only the file work is moved
            # to a thread, so no change can land halfway through the snapshot.
            text = json.dumps(self._state.to_json(), ensure_ascii=False)
            await asyncio.to_thread(_replace, self._path, text)
            self.writes += 1

    async def _run(self) -> None:
        while not self._closing.is_set():
            await self._dirty.wait()
            # The rest of a burst of changes goes into the same write.
            await self._pause(self._delay)
            if self._closing.is_set():
                return
            self._dirty.clear()
            try:
                await self.write()
            except OSError:
                log.exception("the sandbox's chats could not be written; trying again")
                self._dirty.set()
                await self._pause(self._retry)

    async def _pause(self, seconds: float) -> None:
        """Waits `seconds`, or less when the keeper is closed meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)


def _replace(path: Path, text: str) -> None:
    partial = path.with_suffix(".tmp")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def _report_end(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the sandbox's chats keeper stopped", exc_info=task.exception())
