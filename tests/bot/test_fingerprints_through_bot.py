"""A screenshot filed again in another buyer's case is found once both files are stored: the
downloader schedules the fingerprint with the stored file, the fingerprint loop finds the match."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench.screenshot_set import LAYOUTS, jpeg, png_bytes, screenshot, sibling_texts, texts_for
from bot.fingerprints import FingerprintWorker
from cases.fingerprints import FINGERPRINT_JOB, MatchKind
from dialogs import callbacks as cb
from sandbox.botapi import FakeBotAPI
from storage.models import JobRow
from tests.bot.harness import BotHarness, Person, bot_harness
from tests.bot.outbox_support import chat_after_sending, staff_member
from tests.bot.test_filing_through_dispatcher import NOW, file_complaint, order

STAFF_CHAT = -100_4243
AGENT = 3001


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI):  # type: ignore[no-untyped-def]
    async with bot_harness(tmp_path, fake_api, NOW, staff_chat_id=STAFF_CHAT) as running:
        await running.add_orders(*(order(f"KM20261125000{n}") for n in range(1, 4)))
        async with running.deps.uow() as uow:
            await uow.staff.set_role(AGENT, "agent", NOW)
            await uow.commit()
        yield running


def _agent(harness: BotHarness) -> Person:
    return staff_member(harness, AGENT, STAFF_CHAT)


async def _staff_chat(harness: BotHarness) -> list[str]:
    return await chat_after_sending(harness, STAFF_CHAT)


def _image(layout: int = 0, seed: int = 1, other_order_no: bool = False) -> bytes:
    texts = texts_for(seed)
    if other_order_no:
        texts = sibling_texts(texts, texts_for(seed + 50), "order_no")
    return png_bytes(screenshot(LAYOUTS[layout], texts))


def _as_jpeg(data: bytes) -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    jpeg(Image.open(BytesIO(data)), 60).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


async def _store_and_fingerprint(harness: BotHarness) -> None:
    while await harness.download_evidence():
        pass
    worker = FingerprintWorker(harness.deps, "test-worker")
    while await worker.run_once():
        pass


async def _two_buyers_one_screenshot(harness: BotHarness) -> tuple[str, str]:
    """Two buyers' cases, the second with a recompressed copy of the first one's screenshot,
    both stored and fingerprinted; returns their case numbers."""
    original = _image()
    first = await file_complaint(harness.user(1001), "KM202611250001", photo=original)
    second = await file_complaint(harness.user(1002), "KM202611250002", photo=_as_jpeg(original))
    await _store_and_fingerprint(harness)
    return first, second


async def test_a_recompressed_copy_in_another_buyers_case_is_matched_both_ways(
    harness: BotHarness,
) -> None:
    first, second = await _two_buyers_one_screenshot(harness)

    async with harness.deps.uow() as uow:
        theirs = await uow.fingerprints.matches(second)
        mine = await uow.fingerprints.matches(first)
    assert [(m.other_case_no, m.kind, m.same_buyer) for m in theirs] == [
        (first, MatchKind.SIMILAR, False)
    ]
    assert [m.other_case_no for m in mine] == [second]
    async with harness.deps.engine.connect() as connection:
        pending = await connection.scalar(
            select(func.count()).select_from(JobRow).where(
                JobRow.kind == FINGERPRINT_JOB, JobRow.done_at.is_(None)
            )
        )
    assert pending == 0


async def test_the_same_layout_with_another_order_number_is_no_match_and_a_buyers_own_is_marked(
    harness: BotHarness,
) -> None:
    first = await file_complaint(harness.user(1001), "KM202611250001", photo=_image())
    await file_complaint(harness.user(1002), "KM202611250002", photo=_image(other_order_no=True))
    # The first buyer's very same bytes again, in another of their cases.
    own = await file_complaint(harness.user(1001), "KM202611250003", photo=_image())
    await _store_and_fingerprint(harness)

    async with harness.deps.uow() as uow:
        matches = await uow.fingerprints.matches(own)
    assert [(m.other_case_no, m.kind, m.same_buyer) for m in matches] == [
        (first, MatchKind.SAME, True)
    ]


async def test_the_backfill_schedules_images_stored_before_fingerprints_once(
    harness: BotHarness,
) -> None:
    case_no = await file_complaint(harness.user(1001), "KM202611250001", photo=_image())
    while await harness.download_evidence():
        pass
    async with harness.deps.engine.begin() as connection:
        # As if stored by a version without fingerprints: no job was scheduled with the file.
        await connection.execute(JobRow.__table__.delete().where(JobRow.kind == FINGERPRINT_JOB))
    worker = FingerprintWorker(harness.deps, "test-worker")
    again = FingerprintWorker(harness.deps, "other-worker")
    assert await worker.backfill() == 1
    assert await again.backfill() == 1  # another process walking at the same time
    assert await worker.backfill() == 0  # walked to the end: done for this process
    async with harness.deps.engine.connect() as connection:
        scheduled = await connection.scalar(
            select(func.count()).select_from(JobRow).where(JobRow.kind == FINGERPRINT_JOB)
        )
    assert scheduled == 1
    assert await worker.run_once() == 1
    assert await again.run_once() == 0
    async with harness.deps.uow() as uow:
        assert await uow.fingerprints.unfingerprinted_images(0, 10) == []
        assert await uow.fingerprints.matches(case_no) == []


async def test_staff_are_told_of_a_match_once_and_the_card_names_the_other_case(
    harness: BotHarness,
) -> None:
    first, second = await _two_buyers_one_screenshot(harness)
    told = [text for text in await _staff_chat(harness) if "🔎" in text]
    assert len(told) == 1
    assert second in told[0]
    assert f"截图与 {first} 的截图近似" in told[0]

    agent = _agent(harness)
    await agent.click(cb.STAFF_CARD + first)
    card = next(text for text in reversed(agent.texts()) if "截图比对" in text)
    assert f"第 1 个文件：截图与 {second} 的截图近似（另一位买家）" in card


async def test_a_buyers_own_screenshot_is_marked_on_the_card_and_not_told(
    harness: BotHarness,
) -> None:
    first = await file_complaint(harness.user(1001), "KM202611250001", photo=_image())
    again = await file_complaint(harness.user(1001), "KM202611250002", photo=_image())
    await _store_and_fingerprint(harness)
    assert [text for text in await _staff_chat(harness) if "🔎" in text] == []

    agent = _agent(harness)
    await agent.click(cb.STAFF_CARD + again)
    card = next(text for text in reversed(agent.texts()) if "截图比对" in text)
    assert f"买家本人在 {first} 中也提交过同一张截图" in card
