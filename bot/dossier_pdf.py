"""The dossier's PDF summary, laid out like the 12315 complaint form, in any Chinese a buyer types.

The font is a full CJK font from the operating system's packages (Debian's fonts-noto-cjk or
fonts-wqy-microhei; DOSSIER_FONT names another): the font shipped for chart labels is a subset
of a few hundred glyphs, and a font is never downloaded. fpdf2 drops a character that no font it
has covers, with only a log line; a dossier must not lose a character of a name or an address,
so such a character is written as its code point instead ("[U+20BB7]"), which a reader can still
look up and the original text in events.json still has.

Each section is one locale text (dossier.pdf.*): its first line is the heading, the rest the
body, so the layout here knows nothing of what the sections say.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Final

# Debian's full CJK fonts, best coverage first: Noto covers CJK Extension A, WenQuanYi all of GBK.
SYSTEM_FONTS: Final = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
)
_HEADING_SIZE: Final = 13
_BODY_SIZE: Final = 10
_LINE: Final = 5.2  # mm
_TITLE_SIZE: Final = 16


class NoFontError(RuntimeError):
    """No CJK font is installed (or DOSSIER_FONT names a file that is not there)."""


def find_fonts(configured: Path | None) -> list[Path]:
    """The fonts to draw with: DOSSIER_FONT alone if set, else every system CJK font found."""
    if configured is not None:
        if not configured.is_file():
            raise NoFontError(str(configured))
        return [configured]
    found = [path for path in SYSTEM_FONTS if path.is_file()]
    if not found:
        raise NoFontError(", ".join(str(path) for path in SYSTEM_FONTS))
    return found


def printable(text: str, covered: set[int]) -> str:
    """The text with each character no font covers written as its code point."""
    return "".join(
        char if ord(char) in covered or char == "\n" else f"[U+{ord(char):04X}]" for char in text
    )


class SummaryPdf:
    """Writes sections (heading + body) onto A4 pages with the CJK font."""

    def __init__(self, fonts: Sequence[Path], title: str) -> None:
        # fpdf2 (and numpy, which it imports) loads when a dossier is built: importing it at
        # start-up cost every bot process ~1 s and ~20 MB for a job most processes never run.
        from fpdf import FPDF
        from fpdf.fonts import TTFFont

        self._pdf = FPDF(format="A4")
        self._pdf.set_margins(15, 15, 15)
        self._pdf.set_auto_page_break(auto=True, margin=15)
        self._pdf.set_title(title)
        self._pdf.set_creator("complaint-bot")
        names = []
        self._covered: set[int] = set()
        for number, path in enumerate(fonts):
            name = f"cjk{number}"
            self._pdf.add_font(name, fname=str(path))
            font = self._pdf.fonts[name]
            if isinstance(font, TTFFont):
                self._covered |= set(font.cmap)
            names.append(name)
        self._font = names[0]
        if names[1:]:
            self._pdf.set_fallback_fonts(names[1:])
        self._pdf.add_page()

    def title(self, text: str) -> None:
        lines = text.split("\n")
        self._write(lines[0], _TITLE_SIZE)
        self._write("\n".join(lines[1:]), _BODY_SIZE)

    def sections(self, texts: Iterable[str]) -> None:
        for text in texts:
            heading, _, body = text.partition("\n")
            self._pdf.ln(3)
            self._write(heading, _HEADING_SIZE)
            self._write(body.strip("\n"), _BODY_SIZE)

    def output(self) -> bytes:
        return bytes(self._pdf.output())

    def _write(self, text: str, size: float) -> None:
        from fpdf.enums import XPos, YPos

        if not text:
            return
        self._pdf.set_font(self._font, size=size)
        self._pdf.multi_cell(
            0,
            _LINE * size / _BODY_SIZE,
            printable(text, self._covered),
            align="L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
