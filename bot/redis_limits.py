"""The outbound limits and the per-chat locks shared by every bot process through Redis.

With REDIS_URL set, several processes send for one bot token and handle updates of one chat, so
the budget of `bot.ratelimit` and the serialisation of `bot.chat_locks.ChatLocks` must hold
across all of them; without it the in-process versions are used (see `bot.app.build_deps`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import LockError, RedisError

from bot.chat_locks import ChatLocks
from bot.ratelimit import OVERALL, PACE, PER_CHAT, PER_GROUP, Limit, is_group

log = logging.getLogger(__name__)

# One all-or-nothing reservation, atomic because a script runs alone on the server. KEYS are the
# sorted-set windows (overall, chat, maybe group); ARGV holds each window's count and period in
# microseconds, then a random token. Scores are send times in microseconds of the server's own
# clock (TIME), so processes on hosts with skewed clocks still share one timeline. Returns 0 when
# the send was counted in every window, else the microseconds until the fullest window frees up.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local wait = 0
for i, key in ipairs(KEYS) do
  local count = tonumber(ARGV[2 * i - 1])
  local per = tonumber(ARGV[2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - per)
  if redis.call('ZCARD', key) >= count then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    local w = tonumber(oldest[2]) + per - now
    if w > wait then wait = w end
  end
end
if wait > 0 then return wait end
local member = t[1] .. '.' .. t[2] .. ':' .. ARGV[#ARGV]
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, member)
  -- A window outlives its last send by one period only: quiet chats leave nothing behind.
  redis.call('PEXPIRE', key, math.ceil(tonumber(ARGV[2 * i]) / 1000) + 1)
end
return 0
"""


class RedisSendLimiter:
    """`bot.ratelimit.SendLimiter` with the sliding windows kept in Redis, one budget for all.

    Hand-written for the same reasons as `LocalSendLimiter` (an all-or-nothing reservation over
    several windows that says how long to wait); the script is the whole of it.
    """

    def __init__(
        self,
        redis: Redis,
        prefix: str = "bot:limits",
        overall: Limit = OVERALL,
        per_chat: Limit = PER_CHAT,
        per_group: Limit = PER_GROUP,
        pace: Limit | None = PACE,
    ) -> None:
        self._redis = redis
        self._pace = pace
        self._prefix = prefix
        self._overall = overall
        self._per_chat = per_chat
        self._per_group = per_group
        self._script = redis.register_script(_RESERVE)

    async def reserve(self, chat_id: int) -> float:
        windows = [
            (f"{self._prefix}:overall", self._overall),
            (f"{self._prefix}:chat:{chat_id}", self._per_chat),
        ]
        if is_group(chat_id):
            windows.append((f"{self._prefix}:group:{chat_id}", self._per_group))
        if self._pace is not None:
            windows.append((f"{self._prefix}:pace", self._pace))
        args: list[int | str] = []
        for _, limit in windows:
            args += [limit.count, round(limit.per * 1_000_000)]
        args.append(secrets.token_hex(8))
        wait_us = await self._script(keys=[key for key, _ in windows], args=args)
        return int(wait_us) / 1_000_000


class RedisChatLocks:
    """`ChatLocks` across processes: a Redis lock per chat around the in-process one.

    redis-py's `Lock` fits (SET NX PX with a random token, compare-and-delete release, a bounded
    wait with a short sleep, `reacquire` to renew), so it is used rather than hand-written. The
    in-process `ChatLocks` in front keeps this process's updates of a chat in arrival order and
    lets only one of them poll Redis at a time. While work runs the lock is renewed every third
    of its TTL, so a long handler keeps it, and a process that dies loses it after one TTL.
    """

    def __init__(
        self,
        redis: Redis,
        prefix: str = "bot:chatlock",
        ttl: float = 30.0,
        wait: float = 120.0,
        poll: float = 0.05,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl = ttl
        self._wait = wait
        self._poll = poll
        self._local = ChatLocks()

    async def run(self, chat_id: int, work: Callable[[], Awaitable[Any]]) -> Any:
        return await self._local.run(chat_id, lambda: self._run_locked(chat_id, work))

    async def _run_locked(self, chat_id: int, work: Callable[[], Awaitable[Any]]) -> Any:
        lock = self._redis.lock(
            f"{self._prefix}:{chat_id}",
            timeout=self._ttl,
            sleep=self._poll,
            blocking_timeout=self._wait,
            thread_local=False,
        )
        if not await lock.acquire():
            # Bounded: the update fails and is retried later rather than waiting forever.
            raise LockError(f"chat {chat_id} stayed locked for {self._wait} s")
        renewer = asyncio.create_task(self._renew(lock, chat_id))
        try:
            return await work()
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            try:
                await lock.release()
            except (LockError, RedisError):
                # Expired or taken over meanwhile: nothing of ours is left to release.
                log.warning("chat lock %s was lost before release", chat_id)

    async def _renew(self, lock: Any, chat_id: int) -> None:
        while True:
            await asyncio.sleep(self._ttl / 3)
            try:
                await lock.reacquire()
            except (LockError, RedisError):
                log.warning("could not renew the lock of chat %s", chat_id)
