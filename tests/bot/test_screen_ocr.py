"""The offline OCR model on generated screenshots (bench/screens.py), and the bounds every image
goes through before it: huge pictures scaled down, pictures past the limit never decoded."""

from __future__ import annotations

import struct
import zlib
from io import BytesIO
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from PIL import Image

from bench.screens import FONT, draw, make_screen, screen_texts
from bot.screen_ocr import MAX_PIXELS, READ_PIXELS, ImageRefusedError, ScreenOcr, prepare
from bot.screen_reader import ScreenReader
from cases.policy import Policy
from cases.screen_reading import Matches, ReadingStatus, match
from sandbox.botapi import FakeBotAPI
from tests.bot.harness import bot_harness
from tests.bot.test_filing_through_dispatcher import NOW, file_complaint, order

# One test process loads the model for all of these (the fixture is per process).
pytestmark = pytest.mark.xdist_group("screen-ocr")

# Seeds whose screens cover each detection, present and absent, in Chinese and English; 6 is
# drawn in small blurred type (bench/screens.py).
SEEDS = (6, 16)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_model_reads_what_a_generated_screenshot_shows(
    screen_ocr: ScreenOcr, tmp_path: Path, seed: int
) -> None:
    screen = make_screen(seed)
    path = tmp_path / screen.name
    path.write_bytes(screen.image)
    read = screen_ocr.read(path)
    assert match(read.text, screen.facts, Policy().screen_failure_texts) == screen.expected, (
        screen.lines,
        read.text,
    )


def test_the_seeds_cover_every_detection_both_ways() -> None:
    expected = [make_screen(seed).expected for seed in SEEDS]
    for flag in ("order_no", "card_code", "amount"):
        assert {getattr(e, flag) for e in expected} == {True, False}, flag
    assert {bool(e.failure_texts) for e in expected} == {True, False}


async def test_a_screenshot_filed_with_a_complaint_is_read_by_the_model(
    screen_ocr: ScreenOcr, tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    shot = draw(["兑换结果", "订单号：KM202611250001", "实付金额：¥100.00", "状态：卡密已被使用"])
    async with bot_harness(tmp_path, fake_api, NOW) as harness:
        await harness.add_orders(order())
        case_no = await file_complaint(harness.user(), photo=shot)
        assert await harness.download_evidence() == 1
        reader = ScreenReader(harness.deps, "w1", screen_ocr)
        while await reader.run_once():
            pass
        async with harness.deps.uow() as uow:
            [reading] = await uow.readings.for_case(case_no)
    assert reading.status is ReadingStatus.DONE
    assert reading.matches == Matches(order_no=True, amount=True, failure_texts=("已被使用",))
    assert "KM202611250001" in reading.text


def test_a_long_capture_is_scaled_to_the_reading_size_keeping_its_shape(tmp_path: Path) -> None:
    path = tmp_path / "long.png"
    Image.new("RGB", (1080, 7200), "white").save(path)
    prepared = prepare(path)
    assert prepared.width * prepared.height <= READ_PIXELS
    assert prepared.height / prepared.width == pytest.approx(7200 / 1080, rel=0.01)
    assert prepared.mode == "RGB"


def test_a_picture_past_the_pixel_limit_is_refused_before_it_is_decoded(tmp_path: Path) -> None:
    side = int(MAX_PIXELS**0.5) + 100
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_claiming(side, side))
    with pytest.raises(ImageRefusedError, match="too large"):
        prepare(path)


def test_a_file_that_is_no_picture_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_text("not an image")
    with pytest.raises(ImageRefusedError, match="not a readable image"):
        prepare(path)


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims the given size (its pixels would be gigabytes)."""
    out = BytesIO()
    Image.new("L", (1, 1)).save(out, "PNG")
    data = bytearray(out.getvalue())
    ihdr = 8 + 8  # signature, then the IHDR chunk's length and type
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr - 4 : ihdr + 13]))
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", crc)
    return bytes(data)


def test_the_screen_font_draws_every_character_the_screens_use() -> None:
    cmap = TTFont(FONT).getBestCmap()
    missing = sorted({c for c in screen_texts() if c.isprintable() and ord(c) not in cmap} - {" "})
    assert missing == [], "run tools/subset_screen_font.py again"
