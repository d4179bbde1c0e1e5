"""The limits and chat locks shared through Redis, on a real server (skipped when none answers).

Two instances over one client stand for two bot processes: all they share is the server.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.app import build_deps
from bot.chat_locks import ChatLocks
from bot.config import Settings
from bot.ratelimit import PER_CHAT, Limit, LocalSendLimiter
from bot.redis_limits import RedisChatLocks, RedisSendLimiter
from cases.clock import ManualClock
from tests.bot.outbox_support import T0

pytestmark = pytest.mark.backend_independent

USER, OTHER_USER, GROUP = 1001, 1002, -100_777
ROOMY = Limit(1000, 1.0)


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    client = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
    try:
        await client.ping()
    except (RedisError, OSError) as problem:
        await client.aclose()
        pytest.skip(f"Redis at TEST_REDIS_URL={url} is unreachable ({problem})")
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def prefix(redis: Redis) -> AsyncIterator[str]:
    """A key prefix of this test's own, removed afterwards."""
    name = f"test:{uuid.uuid4().hex}"
    yield name
    keys = [key async for key in redis.scan_iter(match=f"{name}:*")]
    if keys:
        await redis.delete(*keys)


async def test_two_processes_share_one_overall_budget_of_29_per_second(
    redis: Redis, prefix: str
) -> None:
    first = RedisSendLimiter(redis, prefix, pace=None)
    second = RedisSendLimiter(redis, prefix, pace=None)
    waits = [await (first if n % 2 else second).reserve(USER + n) for n in range(40)]
    assert waits.count(0.0) == 29
    assert all(0 < wait <= 1.0 for wait in waits[29:])


async def test_two_processes_share_one_pace(redis: Redis, prefix: str) -> None:
    first, second = RedisSendLimiter(redis, prefix), RedisSendLimiter(redis, prefix)
    assert await first.reserve(USER) == 0.0
    assert 0 < await second.reserve(OTHER_USER) <= 1 / 29


async def test_two_processes_send_a_chat_at_most_one_message_a_second(
    redis: Redis, prefix: str
) -> None:
    first, second = RedisSendLimiter(redis, prefix), RedisSendLimiter(redis, prefix)
    assert await first.reserve(USER) == 0.0
    wait = await second.reserve(USER)
    assert PER_CHAT.per - 0.1 < wait <= PER_CHAT.per
    await asyncio.sleep(0.05)  # past the overall pace
    assert await first.reserve(OTHER_USER) == 0.0  # another chat is not held up
    await asyncio.sleep(wait + 0.01)
    assert await second.reserve(USER) == 0.0
    assert PER_CHAT.per - 0.1 < await first.reserve(USER) <= PER_CHAT.per


async def test_honouring_the_waits_for_a_second_sends_a_chat_twice_at_most(
    redis: Redis, prefix: str
) -> None:
    limiters = [RedisSendLimiter(redis, prefix), RedisSendLimiter(redis, prefix)]

    async def keep_sending(limiter: RedisSendLimiter, until: float) -> int:
        sent = 0
        while (now := time.monotonic()) < until:
            wait = await limiter.reserve(USER)
            if wait == 0:
                sent += 1
            else:
                await asyncio.sleep(min(wait, until - now))
        return sent

    until = time.monotonic() + 1.2
    counts = await asyncio.gather(*(keep_sending(limiter, until) for limiter in limiters))
    assert sum(counts) == 2


async def test_a_group_gets_20_messages_a_minute_then_waits_about_a_minute(
    redis: Redis, prefix: str
) -> None:
    first = RedisSendLimiter(redis, prefix, overall=ROOMY, per_chat=ROOMY, pace=None)
    second = RedisSendLimiter(redis, prefix, overall=ROOMY, per_chat=ROOMY, pace=None)
    waits = [await (first if n % 2 else second).reserve(GROUP) for n in range(25)]
    assert waits.count(0.0) == 20
    assert all(59 < wait <= 60 for wait in waits[20:])
    assert await first.reserve(USER) == 0.0  # the group's limit is the group's alone


async def test_windows_expire_so_quiet_chats_leave_no_keys_behind(
    redis: Redis, prefix: str
) -> None:
    limiter = RedisSendLimiter(redis, prefix)
    await limiter.reserve(GROUP)
    assert 0 < await redis.pttl(f"{prefix}:chat:{GROUP}") <= PER_CHAT.per * 1000 + 1
    assert 59_000 < await redis.pttl(f"{prefix}:group:{GROUP}") <= 60_001
    assert 0 < await redis.pttl(f"{prefix}:overall") <= 1001


class Tracker:
    """Counts how many pieces of work run at once."""

    def __init__(self) -> None:
        self.running = 0
        self.most = 0
        self.order: list[str] = []

    def work(self, name: str, seconds: float = 0.05) -> Callable[[], Awaitable[str]]:
        async def run() -> str:
            self.running += 1
            self.most = max(self.most, self.running)
            self.order.append(name)
            await asyncio.sleep(seconds)
            self.running -= 1
            return name

        return run


async def test_two_processes_run_the_updates_of_one_chat_one_at_a_time(
    redis: Redis, prefix: str
) -> None:
    first, second = RedisChatLocks(redis, prefix), RedisChatLocks(redis, prefix)
    tracker = Tracker()
    results = await asyncio.wait_for(
        asyncio.gather(
            *((first if n % 2 else second).run(USER, tracker.work(f"u{n}")) for n in range(6))
        ),
        5,
    )
    assert tracker.most == 1
    assert sorted(results) == [f"u{n}" for n in range(6)]


async def test_different_chats_run_at_the_same_time_across_processes(
    redis: Redis, prefix: str
) -> None:
    first, second = RedisChatLocks(redis, prefix), RedisChatLocks(redis, prefix)
    both = asyncio.Barrier(2)

    async def meet() -> None:
        await both.wait()  # only returns when the other chat's work runs too

    await asyncio.wait_for(asyncio.gather(first.run(USER, meet), second.run(OTHER_USER, meet)), 2)


async def test_a_lock_whose_holder_died_is_free_after_its_ttl(redis: Redis, prefix: str) -> None:
    dead = redis.lock(f"{prefix}:{USER}", timeout=0.3, thread_local=False)
    assert await dead.acquire(blocking=False)  # and never released
    started = time.monotonic()
    result = await asyncio.wait_for(
        RedisChatLocks(redis, prefix).run(USER, Tracker().work("late")), 2
    )
    assert result == "late"
    assert time.monotonic() - started >= 0.25


async def test_a_lock_is_renewed_while_long_work_holds_it(redis: Redis, prefix: str) -> None:
    first = RedisChatLocks(redis, prefix, ttl=0.3)
    second = RedisChatLocks(redis, prefix, ttl=0.3)
    tracker = Tracker()
    await asyncio.wait_for(
        asyncio.gather(
            first.run(USER, tracker.work("long", 0.7)),
            second.run(USER, tracker.work("next", 0.01)),
        ),
        3,
    )
    assert tracker.most == 1


def settings_for(tmp_path: Path, redis_url: str | None) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token="1:fake",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        evidence_dir=tmp_path / "evidence",
        redis_url=redis_url,
    )


async def test_without_redis_url_the_limits_and_locks_stay_in_process(tmp_path: Path) -> None:
    deps = build_deps(settings_for(tmp_path, None), ManualClock(T0))
    try:
        assert isinstance(deps.limiter, LocalSendLimiter)
        assert isinstance(deps.chat_locks, ChatLocks)
        assert deps.redis is None
    finally:
        await deps.close()


async def test_with_redis_url_the_limits_and_locks_are_shared_through_redis(
    tmp_path: Path,
) -> None:
    deps = build_deps(settings_for(tmp_path, "redis://127.0.0.1:6379/15"), ManualClock(T0))
    try:
        assert isinstance(deps.limiter, RedisSendLimiter)
        assert isinstance(deps.chat_locks, RedisChatLocks)
        assert deps.redis is not None
    finally:
        assert deps.redis is not None
        await deps.redis.aclose()
        await deps.close()
