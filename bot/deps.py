"""What handlers and worker loops need, built once by the wiring point (bot/app.py).

A leaf: every module may name `Deps`, and none needs the wiring point to do so.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.chat_locks import ChatLocks, PerChatLocks
from bot.config import Settings
from bot.liveness import Liveness
from bot.outbox_bell import OutboxBell
from bot.ratelimit import LocalSendLimiter, SendLimiter
from cases.calendar import WorkingCalendar
from cases.clock import Clock
from cases.policy import Policy
from dialogs.context import DialogEnv
from dialogs.notices import CaseNotifier
from locales import Translator
from storage.connections import Connections
from storage.uow import SqlUnitOfWork

if TYPE_CHECKING:
    # Loaded only with REDIS_URL (see bot/app.py): a single process never needs the client.
    from redis.asyncio import Redis


def default_worker_id() -> str:
    """Host and process id: unique among the processes sharing one database."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Deps:
    """What handlers and worker loops need; each is handed it by the wiring point."""

    settings: Settings
    clock: Clock
    policy: Policy
    calendar: WorkingCalendar
    translator: Translator
    env: DialogEnv
    engine: AsyncEngine
    uow: Callable[[], SqlUnitOfWork]
    notifier: CaseNotifier  # queues what a case change causes, in the change's transaction
    # Shared through Redis when REDIS_URL is set (several processes), in-process otherwise.
    limiter: SendLimiter = field(default_factory=LocalSendLimiter)
    chat_locks: PerChatLocks = field(default_factory=ChatLocks)
    redis: Redis | None = None
    # Names this process's leases on inbox, outbox and job rows.
    worker_id: str = field(default_factory=default_worker_id)
    # Wakes this process's outbox sender loop for rows handed back to the table.
    outbox_bell: OutboxBell = field(default_factory=OutboxBell)
    # Whether this process may still act on what it holds (its heartbeat, bot/heartbeat.py).
    liveness: Liveness = field(default_factory=Liveness)
    # The connections the units of work run on (storage/connections.py).
    connections: Connections | None = None

    async def close(self) -> None:
        """Closes the database connections (the process, or a test, is done with them)."""
        try:
            if self.connections is not None:
                await self.connections.close()
        finally:
            await self.engine.dispose()
