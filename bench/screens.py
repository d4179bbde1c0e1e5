"""A generated set of app screenshots with known contents, for the screen reader's tests and bench.

Each screen is drawn with Pillow in the shipped ScreenSansSC font (bench/fonts/, a subset of
Noto Sans CJK SC made by tools/subset_screen_font.py) the way card platforms and game top-up pages
show an order: a title bar, label/value rows, a status line. What it shows is drawn at random
from a seed: the case's order number, card code and paid amount, or a look-alike of each (a
different order, a code one character off, another amount), a failure text from the policy or a
success text, so every detection has positives and negatives. `expected` says what the screen
really shows, for precision and recall.
"""

from __future__ import annotations

import io
import random
import string
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from cases.money import format_amount
from cases.screen_reading import Matches, ScreenFacts

FONT = Path(__file__).parent / "fonts" / "ScreenSansSC.otf"

TITLES = ("订单详情", "兑换结果", "充值记录", "支付详情", "Order details", "Redeem result")
ORDER_LABELS = ("订单号：", "订单编号：", "Order No: ")
CODE_LABELS = ("卡密：", "兑换码：", "Card code: ")
AMOUNT_LABELS = ("实付金额：", "支付金额：", "Paid: ")
STATUS_LABELS = ("状态：", "兑换结果：", "Status: ")
FAILURES = (
    "该卡密已被使用", "卡密已使用", "充值未到账", "兑换失败，请联系客服", "卡密错误", "卡密无效",
    "充值失败", "卡密已过期", "Invalid code", "This code was already used", "Top-up failed",
)  # fmt: skip
# Which policy text each failure shows (the defaults of cases/policy.py).
FAILURE_TEXT = {
    "该卡密已被使用": ("已被使用",), "卡密已使用": ("已使用",), "充值未到账": ("未到账",),
    "兑换失败，请联系客服": ("兑换失败",), "卡密错误": ("卡密错误",), "卡密无效": ("无效",),
    "充值失败": ("充值失败",), "卡密已过期": ("已过期",), "Invalid code": ("invalid",),
    "This code was already used": ("already used",), "Top-up failed": ("failed",),
}  # fmt: skip
SUCCESSES = ("兑换成功", "支付成功", "充值成功，卡密未使用", "交易完成", "Success", "Completed")
EXTRA_ROWS = (
    "商品：Steam 充值卡", "商家：星辰游戏", "支付方式：余额", "下单时间：2026-11-25 21:07",
)  # fmt: skip
ALNUM = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class Screen:
    name: str
    image: bytes  # PNG or JPEG
    facts: ScreenFacts  # the case the screenshot was sent with
    expected: Matches  # what it really shows of the case
    lines: tuple[str, ...]


def screen_texts() -> str:
    """Every character a screen may draw (the font subset must hold them all)."""
    parts = [*TITLES, *ORDER_LABELS, *CODE_LABELS, *AMOUNT_LABELS, *STATUS_LABELS, *FAILURES]
    parts += [*SUCCESSES, *EXTRA_ROWS, "¥￥元.,:：-", string.printable]
    return "".join(parts)


def order_no(rng: random.Random) -> str:
    # With O/0 and I/1 in it, as platform order numbers often have.
    return "KM2026" + "".join(rng.choice("0O1I23456789") for _ in range(8))


def card_code(rng: random.Random) -> str:
    return "-".join("".join(rng.choice(ALNUM) for _ in range(4)) for _ in range(4))


def _look_alike(rng: random.Random, text: str) -> str:
    """The text with one letter or digit replaced by a clearly different one."""
    spots = [i for i, c in enumerate(text) if c.isalnum()]
    i = rng.choice(spots)
    replacement = rng.choice([c for c in "ABCDEFGHJKMNPRSTUVWXYZ2345678" if c != text[i]])
    return text[:i] + replacement + text[i + 1 :]


def _amount_text(rng: random.Random, fen: int) -> str:
    plain = format_amount(fen)
    forms = [f"¥{plain}", f"￥{plain}", f"{plain}元", plain]
    if fen % 100 == 0:
        forms.append(f"{fen // 100}元")
    return rng.choice(forms)


def make_screen(seed: int) -> Screen:
    rng = random.Random(seed)  # noqa: S311 (a reproducible set, not a secret)
    facts = ScreenFacts(
        order_no=order_no(rng),
        amount=rng.choice([500, 1000, 3000, 5000, 9990, 10000, 20000]),
        card_code=card_code(rng),
    )
    lines = [rng.choice(TITLES)]
    shows = {name: rng.random() < 0.6 for name in ("order_no", "card_code", "amount", "failure")}
    if shows["order_no"] or rng.random() < 0.5:
        value = facts.order_no if shows["order_no"] else _look_alike(rng, facts.order_no)
        lines.append(rng.choice(ORDER_LABELS) + value)
    if shows["card_code"] or rng.random() < 0.5:
        code = facts.card_code or ""
        value = code if shows["card_code"] else _look_alike(rng, code)
        lines.append(rng.choice(CODE_LABELS) + value)
    lines.append(rng.choice(EXTRA_ROWS))
    if shows["amount"] or rng.random() < 0.5:
        fen = facts.amount if shows["amount"] else facts.amount + rng.choice([-100, 100, 900, 50])
        lines.append(rng.choice(AMOUNT_LABELS) + _amount_text(rng, fen))
    failure = rng.choice(FAILURES) if shows["failure"] else None
    lines.append(rng.choice(STATUS_LABELS) + (failure or rng.choice(SUCCESSES)))
    expected = Matches(
        order_no=shows["order_no"],
        card_code=shows["card_code"],
        amount=shows["amount"],
        failure_texts=FAILURE_TEXT[failure] if failure else (),
    )
    image = draw(lines, rng, style_of(seed))
    return Screen(f"screen-{seed:03d}", image, facts, expected, tuple(lines))


def draw(lines: list[str], rng: random.Random | None = None, style: str = "clean") -> bytes:
    """A phone-like screen: a coloured title bar, rows of text, saved as PNG or JPEG.

    `style` "dark" draws light grey text on a dark theme; "small" draws small text, then blurs
    and recompresses the picture hard, as a forwarded or re-photographed screenshot looks.
    """
    rng = rng or random.Random(0)  # noqa: S311 (a reproducible look, not a secret)
    width, row = 600, 64
    size = rng.choice([24, 26, 28])
    height = 120 + row * len(lines)
    back = rng.choice([(255, 255, 255), (246, 247, 249), (250, 248, 240)])
    ink = rng.choice([(20, 20, 20), (51, 51, 51), (68, 68, 68)])
    rule = (228, 228, 228)
    if style == "dark":
        back, ink, rule = (28, 28, 30), (190, 190, 196), (60, 60, 64)
    if style == "small":
        size, row = 17, 44
    image = Image.new("RGB", (width, height), back)
    draw = ImageDraw.Draw(image)
    bar = rng.choice([(22, 119, 255), (250, 100, 0), (7, 193, 96), (60, 60, 60)])
    draw.rectangle((0, 0, width, 90), fill=bar)
    title_font = ImageFont.truetype(str(FONT), size + 6)
    font = ImageFont.truetype(str(FONT), size)
    draw.text((28, 26), lines[0], font=title_font, fill=(255, 255, 255))
    for i, line in enumerate(lines[1:]):
        y = 110 + i * row
        draw.line((20, y + row - 8, width - 20, y + row - 8), fill=rule)
        draw.text((28, y + 8), line, font=font, fill=ink)
    out = io.BytesIO()
    if style == "small":
        image = image.filter(ImageFilter.GaussianBlur(0.8))
        image.save(out, "JPEG", quality=40)
    elif rng.random() < 0.5:
        image.save(out, "JPEG", quality=rng.choice([70, 85]))
    else:
        image.save(out, "PNG")
    return out.getvalue()


def style_of(seed: int) -> str:
    """One screen in four is harder to read: every eighth dark, every eighth small and blurred."""
    return {2: "dark", 6: "small"}.get(seed % 8, "clean")


def screen_set(count: int, first_seed: int = 1) -> list[Screen]:
    return [make_screen(seed) for seed in range(first_seed, first_seed + count)]
