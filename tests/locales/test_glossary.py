"""One word per thing: no text uses a word locales/GLOSSARY.md retired.

The glossary's table is the one list: its "retired zh_CN" and "retired en" columns name the words
that were replaced by the chosen one, and every text of that locale is searched for them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from locales import load_texts

GLOSSARY = Path(__file__).resolve().parents[2] / "locales" / "GLOSSARY.md"
COLUMNS = {"zh_CN": 3, "en": 4}  # 0: thing, 1: zh_CN, 2: en, 3/4: retired


def retired(locale: str) -> list[str]:
    words: list[str] = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) != 5 or cells[0] in ("thing", "---"):
            continue
        words += [w.strip() for w in cells[COLUMNS[locale]].split("/") if w.strip() != "—"]
    return [word for word in words if word]


def test_the_glossary_retires_words_in_both_locales() -> None:
    assert "提议" in retired("zh_CN")
    assert "My complaints" in retired("en")


@pytest.mark.parametrize("locale", list(COLUMNS))
def test_no_text_uses_a_retired_word(locale: str) -> None:
    words = retired(locale)

    found = {
        (key, word)
        for key, text in load_texts(locale).items()
        for word in words
        if word.lower() in text.lower()
    }

    assert found == set(), f"retired words in {locale} texts (see locales/GLOSSARY.md)"
