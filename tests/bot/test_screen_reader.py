"""The screen reader: a stored screenshot is read in the background, once, and what it matched
is kept; a read that hangs is abandoned and recorded, a read that kills its process is given up,
and images stored before reading existed are read too. The model is a fake here (its own tests
are in test_screen_ocr.py)."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import delete, select

from bench.screens import draw
from bot.leases import LEASE
from bot.screen_ocr import ReadText
from bot.screen_reader import MAX_READS, ReaderStuckError, ScreenReader
from cases.model import EvidenceStatus
from cases.screen_queue import READ_SCREENSHOT_JOB
from cases.screen_reading import Matches, ReadingStatus, ScreenReading
from dialogs import callbacks as cb
from dialogs.screen_card import EXCERPT_LIMIT
from sandbox.botapi import FakeBotAPI
from storage.models import JobRow
from tests.bot.harness import BotHarness, Person, bot_harness
from tests.bot.outbox_support import chat_after_sending, staff_member
from tests.bot.test_filing_through_dispatcher import NOW, file_complaint, order

CARD_CODE = "X7Q2-O0P9-ZZ31"
SCREEN = "订单号：KM2026ll25000l\n卡密：X7Q2 O0P9 ZZ31\n实付金额：¥100.00\n兑换结果：该卡密已被使用"


class FakeOcr:
    """Says the same text for every image; counts its reads; may hold a read until released."""

    def __init__(self, text: str = SCREEN, *, hold: bool = False) -> None:
        self.text = text
        self.reads: list[Image.Image] = []
        self.release = threading.Event()
        if not hold:
            self.release.set()
        self.error: Exception | None = None

    def load(self) -> None:
        pass

    def read_image(self, picture: Image.Image) -> ReadText:
        self.reads.append(picture)
        self.release.wait(10)
        if self.error is not None:
            raise self.error
        return ReadText(self.text, self.text.count("\n") + 1)


STAFF_CHAT = -100_4243
AGENT = 3001


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI):  # type: ignore[no-untyped-def]
    async with bot_harness(tmp_path, fake_api, NOW, staff_chat_id=STAFF_CHAT) as running:
        await running.add_orders(order(card_code=CARD_CODE))
        async with running.deps.uow() as uow:
            await uow.staff.set_role(AGENT, "agent", NOW)
            await uow.commit()
        yield running


def _agent(harness: BotHarness) -> Person:
    return staff_member(harness, AGENT, STAFF_CHAT)


async def _staff_chat(harness: BotHarness) -> list[str]:
    return await chat_after_sending(harness, STAFF_CHAT)


async def _stored_case(harness: BotHarness) -> str:
    case_no = await file_complaint(harness.user(), photo=draw(["兑换结果", "卡密已被使用"]))
    assert await harness.download_evidence() == 1
    return case_no


async def _read_all(reader: ScreenReader) -> None:
    """Steps the reader as its loop would until it finds nothing more to do."""
    for _ in range(10):
        if not await reader.run_once():
            return
    raise AssertionError("the reader kept finding work")


async def _readings(harness: BotHarness, case_no: str) -> list[ScreenReading]:
    async with harness.deps.uow() as uow:
        return list(await uow.readings.for_case(case_no))


async def test_storing_a_screenshot_queues_its_reading_in_the_same_transaction(
    harness: BotHarness,
) -> None:
    await _stored_case(harness)
    async with harness.deps.engine.connect() as connection:
        pending = select(JobRow.kind).where(JobRow.done_at.is_(None))
        kinds = (await connection.scalars(pending)).all()
    assert kinds.count(READ_SCREENSHOT_JOB) == 1


async def test_a_stored_screenshot_is_read_once_and_what_it_matched_is_kept(
    harness: BotHarness,
) -> None:
    case_no = await _stored_case(harness)
    ocr = FakeOcr()
    await _read_all(ScreenReader(harness.deps, "w1", ocr))
    await _read_all(ScreenReader(harness.deps, "w2", ocr))  # another process finds nothing
    [reading] = await _readings(harness, case_no)
    assert len(ocr.reads) == 1
    assert reading.status is ReadingStatus.DONE
    assert reading.text == SCREEN
    # The order's number with l for 1, the code with spaces for dashes, ¥100.00 for 10000 fen.
    assert reading.matches == Matches(True, True, True, ("已被使用",))
    assert reading.attempts == 1
    assert reading.duration_ms is not None


async def test_a_read_that_hangs_is_abandoned_recorded_and_holds_back_the_next_one(
    harness: BotHarness,
) -> None:
    case_no = await _stored_case(harness)
    ocr = FakeOcr(hold=True)
    reader = ScreenReader(harness.deps, "w1", ocr, timeout=0.2)
    await reader.run_once()  # the backfill step finds the job already queued
    assert await reader.run_once() == 1
    [reading] = await _readings(harness, case_no)
    assert reading.status is ReadingStatus.FAILED
    assert reading.error == "timed out after 0.2 s"
    with pytest.raises(ReaderStuckError):
        await reader.run_once()  # its thread still reads: no second read beside it
    ocr.release.set()
    for _ in range(50):
        try:
            assert await reader.run_once() == 0  # the job was done: nothing is read again
            break
        except ReaderStuckError:
            threading.Event().wait(0.02)
    assert len(ocr.reads) == 1


async def test_a_read_that_never_finished_is_given_up_after_the_last_try(
    harness: BotHarness,
) -> None:
    case_no = await _stored_case(harness)
    ocr = FakeOcr()
    reader = ScreenReader(harness.deps, "w1", ocr)
    await reader.run_once()  # the backfill step finds the job already queued
    async with harness.deps.uow() as uow:
        [evidence] = await uow.evidence.list(case_no)
        for _ in range(MAX_READS):  # as if each read had killed its process
            await uow.readings.start(evidence.id, case_no, NOW)
        await uow.commit()
    await _read_all(reader)
    [reading] = await _readings(harness, case_no)
    assert ocr.reads == []
    assert reading.status is ReadingStatus.FAILED
    assert reading.error is not None
    assert "given up" in reading.error


async def test_a_file_that_is_no_picture_is_recorded_unread_without_loading_the_model(
    harness: BotHarness,
) -> None:
    case_no = await file_complaint(harness.user())  # a JPEG header and no picture behind it
    assert await harness.download_evidence() == 1
    ocr = FakeOcr()
    ocr.load = None  # type: ignore[assignment,method-assign]  # loading it would fail the test
    await _read_all(ScreenReader(harness.deps, "w1", ocr))
    [reading] = await _readings(harness, case_no)
    assert reading.status is ReadingStatus.FAILED
    assert reading.error is not None
    assert reading.error.startswith("not a readable image")
    assert ocr.reads == []


async def test_a_claimed_read_whose_process_died_is_taken_up_after_its_lease(
    harness: BotHarness,
) -> None:
    case_no = await _stored_case(harness)
    async with harness.deps.uow() as uow:
        await uow.jobs.claim_due(NOW, "dead-worker", LEASE, 5, kinds=(READ_SCREENSHOT_JOB,))
        await uow.commit()
    ocr = FakeOcr()
    reader = ScreenReader(harness.deps, "w1", ocr)
    await _read_all(reader)
    assert ocr.reads == []
    harness.clock.advance(LEASE + timedelta(seconds=1))
    await _read_all(reader)
    [reading] = await _readings(harness, case_no)
    assert reading.status is ReadingStatus.DONE


async def test_images_stored_before_reading_existed_are_read_by_the_backfill(
    harness: BotHarness,
) -> None:
    case_no = await _stored_case(harness)
    async with harness.deps.engine.begin() as connection:  # as before reading existed: no job
        await connection.execute(delete(JobRow).where(JobRow.kind == READ_SCREENSHOT_JOB))
    ocr = FakeOcr()
    await _read_all(ScreenReader(harness.deps, "w1", ocr))
    [reading] = await _readings(harness, case_no)
    assert reading.status is ReadingStatus.DONE
    assert len(ocr.reads) == 1


async def test_a_screenshot_removed_before_its_read_is_not_read(harness: BotHarness) -> None:
    case_no = await _stored_case(harness)
    async with harness.deps.uow() as uow:
        [evidence] = await uow.evidence.list(case_no)
        await uow.evidence.set_status(evidence.id, EvidenceStatus.REMOVED)
        await uow.commit()
    ocr = FakeOcr()
    await _read_all(ScreenReader(harness.deps, "w1", ocr))
    assert ocr.reads == []
    assert await _readings(harness, case_no) == []


async def test_staff_are_told_what_the_screenshots_say_once_all_are_read(
    harness: BotHarness,
) -> None:
    case_no = await _stored_case(harness)
    before = await _staff_chat(harness)
    await _read_all(ScreenReader(harness.deps, "w1", FakeOcr()))
    told = (await _staff_chat(harness))[len(before) :]
    [notice] = [text for text in told if "截图已识别" in text]
    assert case_no in notice
    assert "订单号 ✓ · 卡密 ✓ · 金额 ✓ · 失败提示「已被使用」" in notice
    await _read_all(ScreenReader(harness.deps, "w2", FakeOcr()))
    assert len(await _staff_chat(harness)) == len(before) + len(told)  # told once


async def test_a_screenshot_with_no_text_in_it_is_shown_on_the_card_only(
    harness: BotHarness,
) -> None:
    case_no = await _stored_case(harness)
    before = await _staff_chat(harness)
    await _read_all(ScreenReader(harness.deps, "w1", FakeOcr("")))
    [reading] = await _readings(harness, case_no)
    assert reading.status is ReadingStatus.DONE
    assert await _staff_chat(harness) == before  # the staff group is not told of nothing
    await _agent(harness).click(cb.STAFF_CARD + case_no)
    [card] = [m for m in harness.api.sent_messages(STAFF_CHAT) if "截图识别" in m.plain_text]
    assert "第 1 个文件：未识别到文字" in card.plain_text


async def test_the_staff_card_shows_an_escaped_excerpt_and_the_matches_per_screenshot(
    harness: BotHarness,
) -> None:
    case_no = await _stored_case(harness)
    await _staff_chat(harness)  # the new case's notice, with its card button
    agent = _agent(harness)
    await agent.click(cb.STAFF_CARD + case_no)
    [pending] = [m for m in harness.api.sent_messages(STAFF_CHAT) if "截图识别" in m.plain_text]
    assert "第 1 个文件：识别中…" in pending.plain_text
    hostile = "<b>卡密</b> " + "已被使用 " * 40
    await _read_all(ScreenReader(harness.deps, "w1", FakeOcr(hostile)))
    await agent.click(cb.STAFF_CARD + case_no)
    card = [m for m in harness.api.sent_messages(STAFF_CHAT) if "截图识别" in m.plain_text][-1]
    assert "&lt;b&gt;卡密&lt;/b&gt;" in card.text  # what the screenshot says is never markup
    line = next(part for part in card.plain_text.split("\n") if part.startswith("第 1 个文件"))
    assert line.endswith("…」")
    assert len(line) < EXCERPT_LIMIT + 20
    assert "订单号 ✗ · 卡密 ✗ · 金额 ✗ · 失败提示「已被使用」" in card.plain_text


async def test_without_the_ocr_extra_the_card_says_reading_is_off(harness: BotHarness) -> None:
    case_no = await _stored_case(harness)
    harness.deps.env = replace(harness.deps.env, screen_reading=False)
    await _staff_chat(harness)
    await _agent(harness).click(cb.STAFF_CARD + case_no)
    [card] = [m for m in harness.api.sent_messages(STAFF_CHAT) if "截图识别" in m.plain_text]
    assert "截图识别未开启" in card.plain_text
    assert "第 1 个文件：未识别" in card.plain_text
