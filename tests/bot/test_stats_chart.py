"""The stats chart: a real picture, every label set in the shipped CJK font, every glyph in it."""

from __future__ import annotations

import io
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fontTools.ttLib import TTFont
from matplotlib import font_manager
from matplotlib.text import Text
from PIL import Image

from bot.stats_chart import FONT_FILE, build_figure, chart_texts, render_chart
from locales import Translator

DATA: dict[str, Any] = {
    "reasons": [
        {"key": "not_delivered", "full": 5, "partial": 2, "rejected": 3, "withdrawn": 1, "open": 4},
        {"key": "card_invalid", "full": 2, "partial": 0, "rejected": 1, "withdrawn": 0, "open": 2},
    ],
    "sla": {"review": 95, "merchant": 80, "arbitration": None, "refund": 100},
    "backlog": [3, 2, 1, 0],
}
PARAMS = {"first_day": date(2026, 11, 1), "last_day": date(2026, 11, 30)}
TRANSLATOR = Translator(ZoneInfo("Asia/Shanghai"))


def covered() -> set[int]:
    return set(TTFont(FONT_FILE).getBestCmap())


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_chart_is_a_picture_with_something_drawn_on_it(locale: str) -> None:
    png = render_chart(DATA, TRANSLATOR, locale, PARAMS)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == (900, 640)
    colours = image.getcolors(maxcolors=1_000_000) or []
    # White background plus bars in five outcome colours and anti-aliased text.
    assert len(colours) > 50
    assert sum(count for count, rgb in colours if rgb != (255, 255, 255)) > image.width * 20


def test_every_label_is_set_in_the_shipped_font_and_the_font_has_its_glyphs() -> None:
    figure = build_figure(DATA, TRANSLATOR, "zh_CN", PARAMS)
    figure.canvas.draw()  # a missing glyph warns here, and warnings are errors in this suite
    texts = [t for t in figure.findobj(Text) if t.get_text().strip()]
    assert any("按申请金额退款" in t.get_text() for t in texts)
    assert any("未发货或未到账" in t.get_text() for t in texts)
    glyphs = covered()
    for artist in texts:
        path = font_manager.findfont(artist.get_fontproperties(), fallback_to_default=False)
        assert path == str(FONT_FILE), artist.get_text()
        missing = {c for c in artist.get_text() if not c.isspace() and ord(c) not in glyphs}
        assert not missing, (artist.get_text(), missing)


def test_the_shipped_font_covers_every_text_the_chart_can_draw() -> None:
    # Fails when a chart text gains a character: run tools/subset_chart_font.py again.
    glyphs = covered()
    drawn = {c for text in chart_texts() for c in text if not c.isspace()}
    missing = {c for c in drawn if ord(c) not in glyphs}
    assert not missing


def test_a_period_without_cases_still_draws_a_chart() -> None:
    empty = {"reasons": [], "sla": dict.fromkeys(DATA["sla"]), "backlog": [0, 0, 0, 0]}
    assert render_chart(empty, TRANSLATOR, "zh_CN", PARAMS).startswith(b"\x89PNG")
