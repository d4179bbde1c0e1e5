"""Evidence Telegram will not hand over is given up after MAX_ATTEMPTS, and staff hear of it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.evidence import MAX_ATTEMPTS
from cases.model import EvidenceStatus
from sandbox.botapi import FakeBotAPI
from storage.models import OutboxRow
from tests.bot.harness import BotHarness, bot_harness
from tests.bot.outbox_support import VirtualTime, deliver_all, make_sender
from tests.bot.test_filing_through_dispatcher import NOW, file_complaint, order

STAFF_CHAT = -100_4243


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI):  # type: ignore[no-untyped-def]
    async with bot_harness(tmp_path, fake_api, NOW, staff_chat_id=STAFF_CHAT) as running:
        await running.add_orders(order())
        yield running


async def _staff_notices(harness: BotHarness) -> list[str]:
    time = VirtualTime(harness.clock)
    await deliver_all(make_sender(harness.deps, harness.bot, "w1", time), harness.deps.engine, time)
    return [m.plain_text for m in harness.api.sent_messages(STAFF_CHAT)]


async def test_a_download_that_keeps_failing_is_given_up_and_staff_are_told_once(
    harness: BotHarness,
) -> None:
    case_no = await file_complaint(harness.user())
    harness.api.fail_next("getFile", 400, description="Bad Request: file is unavailable",
                          times=MAX_ATTEMPTS + 5)
    tries = 0
    for _ in range(MAX_ATTEMPTS + 3):
        tries += await harness.download_evidence()
        harness.clock.advance(timedelta(hours=2))  # past every backoff
    assert tries == MAX_ATTEMPTS  # the job stops being claimed after the last attempt

    async with harness.deps.uow() as uow:
        [evidence] = await uow.evidence.list(case_no)
    assert evidence.status is EvidenceStatus.FAILED
    assert evidence.sha256 is None
    async with harness.deps.engine.connect() as connection:
        queued = await connection.scalar(
            select(func.count()).select_from(OutboxRow).where(
                OutboxRow.key == f"evidence-failed:{evidence.id}"
            )
        )
    assert queued == 1
    [notice] = [text for text in await _staff_notices(harness) if "下载" in text]
    assert case_no in notice
    assert str(MAX_ATTEMPTS) in notice


async def test_a_download_that_succeeds_on_a_retry_is_stored_and_staff_hear_nothing(
    harness: BotHarness,
) -> None:
    case_no = await file_complaint(harness.user())
    harness.api.fail_next("getFile", 400, description="Bad Request: file is unavailable", times=2)
    for _ in range(4):
        await harness.download_evidence()
        harness.clock.advance(timedelta(hours=2))
    async with harness.deps.uow() as uow:
        [evidence] = await uow.evidence.list(case_no)
    assert evidence.status is EvidenceStatus.STORED
    assert not [text for text in await _staff_notices(harness) if "下载" in text]
