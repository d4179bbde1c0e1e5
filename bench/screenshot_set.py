"""A generated set of fake app screenshots for the evidence fingerprints (cases/fingerprints.py).

Each original is a phone screenshot of one of a few app layouts (a status bar, a title bar, an
order card with its number, amount and card code, a list, a button), drawn with the font the bot
ships. For each original the set has its near copies (what a buyer's re-upload or a forger's
reuse does to it: recompressed, resized, brighter or darker, a few pixels painted, the status
bar cropped) and its siblings: screenshots of the same layout whose order number, amount or card
code differ, which must not count as the same picture. tests/bot/test_image_fingerprint.py
asserts on a small set; bench/fingerprints.py reports the counts on a larger one.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance, ImageFont

FONT = Path(__file__).resolve().parent.parent / "bot" / "fonts" / "ChartSansSC.otf"
WIDTH, HEIGHT = 360, 780
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class Layout:
    background: tuple[int, int, int]
    bar: tuple[int, int, int]
    accent: tuple[int, int, int]
    title: str  # only characters the shipped font covers (tools/subset_chart_font.py)


LAYOUTS = (
    Layout((255, 255, 255), (22, 119, 255), (255, 80, 0), "申请退款"),
    Layout((245, 245, 245), (7, 193, 96), (7, 193, 96), "卡密"),
    Layout((255, 255, 255), (250, 250, 250), (230, 0, 18), "审核中"),
    Layout((30, 30, 36), (45, 45, 55), (255, 200, 0), "未到账"),
)
ROW_LABELS = ("服务", "投诉", "退款", "处理")


@dataclass(frozen=True)
class Texts:
    order_no: str
    amount: str
    code: str
    rows: tuple[str, ...]


def texts_for(seed: int) -> Texts:
    rnd = random.Random(seed)  # noqa: S311 (made-up texts, not secrets)
    day = f"{rnd.randint(1, 12):02d}{rnd.randint(1, 28):02d}"
    return Texts(
        order_no=f"TS2026{day}-{rnd.randint(0, 99999):05d}",
        amount=f"{rnd.randint(1, 999)}.{rnd.choice((0, 50, 99)):02d}",
        code="".join(rnd.choice(CODE_ALPHABET) for _ in range(12)),
        rows=tuple(
            f"{rnd.randint(1, 12)}-{rnd.randint(1, 28):02d} {rnd.randint(0, 23):02d}:"
            f"{rnd.randint(0, 59):02d}"
            for _ in ROW_LABELS
        ),
    )


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT), size)


def screenshot(layout: Layout, texts: Texts) -> Image.Image:
    """Draws one screenshot of the layout showing the texts."""
    image = Image.new("RGB", (WIDTH, HEIGHT), layout.background)
    draw = ImageDraw.Draw(image)
    dark = sum(layout.background) < 300
    ink = (235, 235, 235) if dark else (20, 20, 20)
    card = tuple(min(255, c + 12) if dark else max(0, c - 8) for c in layout.background)
    draw.rectangle((0, 0, WIDTH, 30), fill=layout.bar)
    draw.text((12, 6), "12:34", font=_font(14), fill=ink)
    draw.rectangle((WIDTH - 40, 10, WIDTH - 14, 20), outline=ink)
    draw.rectangle((0, 30, WIDTH, 80), fill=layout.bar)
    draw.text((WIDTH // 2 - 40, 42), layout.title, font=_font(22), fill=ink)
    draw.rounded_rectangle((16, 100, WIDTH - 16, 300), 12, fill=card)  # type: ignore[arg-type]
    draw.text((32, 120), "Order", font=_font(16), fill=ink)
    draw.text((32, 150), texts.order_no, font=_font(18), fill=ink)
    draw.text((32, 190), "金额", font=_font(16), fill=ink)
    draw.text((32, 215), texts.amount, font=_font(30), fill=layout.accent)
    draw.text((32, 262), f"卡密 {texts.code}", font=_font(16), fill=ink)
    for i, (label, row) in enumerate(zip(ROW_LABELS, texts.rows, strict=True)):
        top = 330 + i * 70
        outline = layout.accent if i == 0 else ink
        draw.rounded_rectangle((16, top, WIDTH - 16, top + 56), 8, outline=outline)
        draw.text((32, top + 18), f"{label} {row}", font=_font(15), fill=ink)
    draw.rectangle((16, HEIGHT - 90, WIDTH - 16, HEIGHT - 40), fill=layout.accent)
    draw.text((WIDTH // 2 - 32, HEIGHT - 78), "提交", font=_font(20), fill=(255, 255, 255))
    return image


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def resized(image: Image.Image, factor: float) -> Image.Image:
    size = (round(image.width * factor), round(image.height * factor))
    return image.resize(size, Image.Resampling.BILINEAR)


def brightness(image: Image.Image, factor: float) -> Image.Image:
    return ImageEnhance.Brightness(image).enhance(factor)


def painted(image: Image.Image) -> Image.Image:
    """A few pixels painted over: a 2x2 red dot."""
    copy = image.copy()
    ImageDraw.Draw(copy).rectangle((200, 500, 201, 501), fill=(255, 0, 0))
    return copy


def top_cropped(image: Image.Image, share: float) -> Image.Image:
    return image.crop((0, round(image.height * share), image.width, image.height))


NEAR_COPIES: dict[str, Callable[[Image.Image], Image.Image]] = {
    "jpeg q70": lambda im: jpeg(im, 70),
    "jpeg q40": lambda im: jpeg(im, 40),
    "resized 50%": lambda im: resized(im, 0.5),
    "resized 150%": lambda im: resized(im, 1.5),
    "brighter 15%": lambda im: brightness(im, 1.15),
    "darker 15%": lambda im: brightness(im, 0.85),
    "2x2 pixels painted": painted,
    "status bar cropped 3%": lambda im: top_cropped(im, 0.03),
    "status bar cropped 8%": lambda im: top_cropped(im, 0.08),
    "75%, cropped 5%, jpeg q60": lambda im: jpeg(top_cropped(resized(im, 0.75), 0.05), 60),
}
SIBLING_FIELDS = ("order_no", "amount", "code", "all")


def sibling_texts(texts: Texts, other: Texts, field: str) -> Texts:
    """The texts with one field (or all of them) taken from another screenshot."""
    if field == "all":
        return other
    return Texts(**{**texts.__dict__, field: getattr(other, field)})


@dataclass(frozen=True)
class Original:
    name: str
    image: Image.Image
    copies: dict[str, Image.Image]  # near copies, by what was done
    siblings: dict[str, Image.Image]  # same layout, other text, as uploaded (jpeg q70)


def screenshot_set(per_layout: int, layouts: int = len(LAYOUTS)) -> list[Original]:
    """`per_layout` originals of each of the first `layouts` layouts, with copies and siblings."""
    originals = []
    for index, layout in enumerate(LAYOUTS[:layouts]):
        for n in range(per_layout):
            seed = index * 100 + n
            texts, other = texts_for(seed), texts_for(seed + 50)
            image = screenshot(layout, texts)
            copies = {name: make(image) for name, make in NEAR_COPIES.items()}
            siblings = {
                field: jpeg(screenshot(layout, sibling_texts(texts, other, field)), 70)
                for field in SIBLING_FIELDS
            }
            originals.append(Original(f"layout {index} #{n}", image, copies, siblings))
    return originals


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
