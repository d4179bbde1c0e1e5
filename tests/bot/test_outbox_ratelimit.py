"""The outbound limiter, on a fake monotonic clock: no test here sleeps."""

from __future__ import annotations

import math

import pytest

from bot.ratelimit import PER_CHAT, Limit, LocalSendLimiter

pytestmark = pytest.mark.backend_independent

USER, OTHER_USER, GROUP = 1001, 1002, -100_777


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def sends_in_any_window(times: list[float], per: float) -> int:
    """The most sends that fall in one half-open window [t, t + per)."""
    return max(sum(1 for u in times if t <= u < t + per) for t in times)


def drain(
    limiter: LocalSendLimiter, clock: FakeMonotonic, chats: list[int], until: float
) -> list[tuple[float, int]]:
    """Sends round-robin to `chats` as fast as the limiter allows; returns (time, chat) pairs."""
    sent: list[tuple[float, int]] = []
    while clock.now < until:
        waits = []
        for chat in chats:
            wait = limiter.try_reserve(chat)
            if wait == 0:
                sent.append((clock.now, chat))
            else:
                waits.append(wait)
        if len(waits) == len(chats):
            clock.now += min(waits)
    return sent


def test_a_chat_gets_one_message_per_second_and_is_told_how_long_to_wait() -> None:
    clock = FakeMonotonic()
    limiter = LocalSendLimiter(clock=clock)
    assert limiter.try_reserve(USER) == 0
    clock.now += 0.25
    assert limiter.try_reserve(USER) == pytest.approx(PER_CHAT.per - 0.25, abs=1e-5)
    assert 1.0 <= PER_CHAT.per <= 1.2  # Telegram's 1/s, plus a margin for arrival jitter
    clock.now += 0.1
    assert limiter.try_reserve(OTHER_USER) == 0  # another chat is not held up
    clock.now += PER_CHAT.per - 0.35 + 1e-6  # the period has passed
    assert limiter.try_reserve(USER) == 0


def test_a_refused_reservation_counts_nothing() -> None:
    clock = FakeMonotonic()
    limiter = LocalSendLimiter(overall=Limit(2, 1.0), clock=clock, pace=None)
    assert limiter.try_reserve(USER) == 0
    for _ in range(5):
        assert limiter.try_reserve(USER) > 0
    assert limiter.try_reserve(OTHER_USER) == 0  # the refusals used none of the overall budget


def test_overall_no_more_than_29_messages_go_out_in_any_second_evenly_paced() -> None:
    clock = FakeMonotonic()
    limiter = LocalSendLimiter(clock=clock)
    chats = list(range(1, 101))
    sent = drain(limiter, clock, chats, until=clock.now + 10)
    times = [t for t, _ in sent]
    assert sends_in_any_window(times, 1.0) == 29
    assert sends_in_any_window(times, 1 / 29 - 1e-6) == 1  # one at a time, never a burst
    assert 280 <= len(sent) <= 300  # and the budget is used, not wasted


def test_without_pacing_the_budget_may_go_out_at_once() -> None:
    clock = FakeMonotonic()
    limiter = LocalSendLimiter(clock=clock, pace=None)
    assert [limiter.try_reserve(chat) for chat in range(1, 30)] == [0.0] * 29
    assert limiter.try_reserve(30) == pytest.approx(1.0)


def test_a_group_gets_at_most_20_messages_a_minute_and_one_a_second() -> None:
    clock = FakeMonotonic()
    limiter = LocalSendLimiter(clock=clock)
    sent = drain(limiter, clock, [GROUP], until=clock.now + 180)
    times = [t for t, _ in sent]
    assert sends_in_any_window(times, 60.0) == 20
    assert sends_in_any_window(times, 1.0) == 1
    assert len(sent) == 60


def test_a_private_chat_is_not_held_to_the_group_limit() -> None:
    clock = FakeMonotonic()
    limiter = LocalSendLimiter(clock=clock)
    sent = drain(limiter, clock, [USER], until=clock.now + 60)
    assert len(sent) == math.ceil(60 / PER_CHAT.per)


async def test_reserve_is_the_awaitable_form_of_try_reserve() -> None:
    clock = FakeMonotonic()
    limiter = LocalSendLimiter(clock=clock)
    assert await limiter.reserve(GROUP) == 0
    assert await limiter.reserve(GROUP) == pytest.approx(PER_CHAT.per, abs=1e-5)


def test_quiet_chats_are_forgotten() -> None:
    clock = FakeMonotonic()
    limiter = LocalSendLimiter(overall=Limit(10_000, 1.0), clock=clock, pace=None)
    for chat in range(1, 1001):
        limiter.try_reserve(chat)
    clock.now += 5
    for chat in range(2001, 3001):
        limiter.try_reserve(chat)
    assert limiter.tracked_chats() <= 1000
