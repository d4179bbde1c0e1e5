"""Evidence Telegram will not hand over is given up after MAX_ATTEMPTS: the buyer is asked, in
their language, to send that file again, and the staff chat and the staff card show it missing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.evidence import MAX_ATTEMPTS
from cases.model import CaseStatus, EvidenceStatus
from sandbox.botapi import FakeBotAPI
from storage.models import OutboxRow
from tests.bot.harness import BotHarness, Person, bot_harness
from tests.bot.outbox_support import VirtualTime, deliver_all, make_sender
from tests.bot.test_filing_through_dispatcher import NOW, PHOTO, file_complaint, order

STAFF_CHAT = -100_4243
AGENT = 3001


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI):  # type: ignore[no-untyped-def]
    async with bot_harness(tmp_path, fake_api, NOW, staff_chat_id=STAFF_CHAT) as running:
        await running.add_orders(order())
        async with running.deps.uow() as uow:
            await uow.staff.set_role(AGENT, "agent", NOW)
            await uow.commit()
        yield running


def _agent(harness: BotHarness) -> Person:
    fake = harness.api.user(id=AGENT, first_name="agent", language_code="zh-hans")
    return Person(harness, fake.in_chat(STAFF_CHAT, "supergroup", title="客服群"))


async def _fail_every_download(harness: BotHarness) -> int:
    """Lets every attempt fail until the job is given up; returns how many were made."""
    harness.api.fail_next("getFile", 400, description="Bad Request: file is unavailable",
                          times=MAX_ATTEMPTS)
    tries = 0
    for _ in range(MAX_ATTEMPTS + 3):
        tries += await harness.download_evidence()
        harness.clock.advance(timedelta(hours=2))  # past every backoff
    return tries


async def _staff_notices(harness: BotHarness) -> list[str]:
    time = VirtualTime(harness.clock)
    await deliver_all(make_sender(harness.deps, harness.bot, "w1", time), harness.deps.engine, time)
    return [m.plain_text for m in harness.api.sent_messages(STAFF_CHAT)]


async def test_a_download_that_keeps_failing_is_given_up_and_staff_are_told_once(
    harness: BotHarness,
) -> None:
    case_no = await file_complaint(harness.user())
    # The job stops being claimed after the last attempt.
    assert await _fail_every_download(harness) == MAX_ATTEMPTS

    async with harness.deps.uow() as uow:
        [evidence] = await uow.evidence.list(case_no)
    assert evidence.status is EvidenceStatus.FAILED
    assert evidence.sha256 is None
    async with harness.deps.engine.connect() as connection:
        queued = await connection.scalar(
            select(func.count()).select_from(OutboxRow).where(
                OutboxRow.key.startswith(f"evidence-failed:{evidence.id}:")
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


async def test_a_given_up_file_of_a_case_in_review_is_announced_to_the_buyer_in_their_language(
    harness: BotHarness,
) -> None:
    buyer = harness.user(language_code="en")
    case_no = await file_complaint(buyer)
    await _fail_every_download(harness)
    await _staff_notices(harness)  # delivers the buyer's message too

    notice = buyer.last_text()
    assert case_no in notice
    assert "Evidence 1 of 1 (Photo)" in notice
    # In review the buyer cannot add files: told so, and what will happen, not asked for the
    # impossible.
    assert "when support asks for more evidence" in notice
    assert "/evidence" not in notice
    assert str(harness.deps.settings.evidence_dir) not in notice


async def _missing_while_evidence_is_asked_for(
    harness: BotHarness,
) -> tuple[Person, Person, str, list[str]]:
    """A case waiting for evidence whose filed photo is given up: buyer, agent, case, staff."""
    buyer = harness.user(language_code="zh-hans")
    case_no = await file_complaint(buyer)
    agent = _agent(harness)
    await agent.send(f"/request {case_no} 请补充付款截图")
    await _fail_every_download(harness)
    return buyer, agent, case_no, await _staff_notices(harness)


async def test_a_case_waiting_for_evidence_asks_the_buyer_to_send_the_file_again(
    harness: BotHarness,
) -> None:
    buyer, agent, case_no, staff = await _missing_while_evidence_is_asked_for(harness)

    notice = buyer.last_text()
    assert case_no in notice
    assert "第 1/1 个证据（图片）" in notice
    assert f"/evidence {case_no}" in notice
    assert buyer.last_buttons() == ["补充材料"]
    [told] = [text for text in staff if "下载" in text]
    assert "已请买家重新发送该文件" in told

    await agent.send(f"/case {case_no}")
    card = agent.texts()[-2]
    assert "缺失，已请买家重新发送：1. 图片" in card


async def test_the_buyer_sends_the_missing_file_again_and_it_takes_the_failed_ones_place(
    harness: BotHarness,
) -> None:
    buyer, agent, case_no, _ = await _missing_while_evidence_is_asked_for(harness)

    await buyer.click(f"b:ev:{case_no}")
    await buyer.photo(PHOTO)  # the very same file: not refused as a duplicate
    await buyer.click(f"b:evd:{case_no}")
    assert await harness.download_evidence() == 1

    async with harness.deps.uow() as uow:
        [evidence] = await uow.evidence.list(case_no)
        case = await uow.cases.get(case_no)
    assert evidence.status is EvidenceStatus.STORED
    assert case is not None
    assert case.status is CaseStatus.IN_REVIEW
    await agent.send(f"/case {case_no}")
    assert "缺失" not in agent.texts()[-2]
