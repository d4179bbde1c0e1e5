"""The lease heartbeat: how long a process may rely on rows it holds, renewals counted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.leases import LEASE, LeaseKeeper
from sandbox.botapi import FakeBotAPI
from storage.ports import IncomingUpdate
from tests.bot.harness import BotHarness, bot_harness

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    async with bot_harness(tmp_path, fake_api, NOW) as running:
        yield running


async def test_a_renewal_carries_a_live_lease_on_but_not_one_that_had_run_out(
    harness: BotHarness,
) -> None:
    keeper = LeaseKeeper(harness.deps, "w1")
    start = harness.clock.now()
    async with harness.deps.uow() as uow:
        await uow.inbox.add_many([IncomingUpdate(1, 7, {"update_id": 1})], start)
        assert len(await uow.inbox.claim(start, "w1", LEASE, 1)) == 1
        await uow.commit()
    claimed_until = start + LEASE
    assert keeper.extend(claimed_until) == claimed_until  # no renewal yet
    harness.clock.advance(timedelta(seconds=5))
    assert await keeper.renew() == 1
    assert keeper.extend(claimed_until) == harness.clock.now() + LEASE
    # A lease that ended before the last renewal may belong to another worker by now.
    ended = harness.clock.now() - timedelta(seconds=1)
    assert keeper.extend(ended) == ended


async def test_release_frees_the_rows_a_previous_life_of_this_worker_held(
    harness: BotHarness,
) -> None:
    now = harness.clock.now()
    async with harness.deps.uow() as uow:
        await uow.inbox.add_many([IncomingUpdate(1, 7, {"update_id": 1})], now)
        await uow.inbox.claim(now, "bot-1", LEASE, 1)
        await uow.commit()
    assert await LeaseKeeper(harness.deps, "bot-1").release() == 1
    async with harness.deps.uow() as uow:
        assert len(await uow.inbox.claim(now, "bot-2", LEASE, 1)) == 1
