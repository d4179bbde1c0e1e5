"""The shared backoff rule: doubling from the base, capped, jitter only shortening a wait."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.backoff import Backoff

S = timedelta(seconds=1)


def test_waits_double_from_the_base_up_to_the_cap() -> None:
    backoff = Backoff(5 * S, cap=60 * S)
    assert [backoff(n) for n in range(1, 7)] == [5 * S, 10 * S, 20 * S, 40 * S, 60 * S, 60 * S]


def test_no_failure_yet_waits_the_base() -> None:
    assert Backoff(5 * S)(0) == 5 * S


def test_a_long_outage_neither_overflows_nor_passes_the_cap() -> None:
    assert Backoff(10 * S, cap=timedelta(minutes=10))(10_000) == timedelta(minutes=10)
    assert Backoff(S)(10_000) > timedelta(days=365)  # uncapped, yet a valid timedelta


def test_jitter_shortens_a_wait_by_at_most_its_fraction() -> None:
    draws = iter([0.0, 0.5, 1.0])
    backoff = Backoff(8 * S, jitter=0.25, random=lambda: next(draws))
    assert [backoff(1) for _ in range(3)] == [8 * S, 7 * S, 6 * S]


def test_seconds_is_the_same_wait_for_asyncio_sleep() -> None:
    assert Backoff(timedelta(milliseconds=500)).seconds(2) == 1.0


@pytest.mark.parametrize(
    ("base", "cap", "jitter"), [(0 * S, None, 0.0), (5 * S, 1 * S, 0.0), (S, None, 1.5)]
)
def test_nonsensical_numbers_are_refused(
    base: timedelta, cap: timedelta | None, jitter: float
) -> None:
    with pytest.raises(ValueError, match=r"base|cap|jitter"):
        Backoff(base, cap=cap, jitter=jitter)
