"""Makes bench/fonts/ScreenSansSC.otf: Noto Sans CJK SC Regular cut down to the characters the
generated screenshots draw (bench/screens.py), for the screen reader's tests and bench.

    .venv/bin/python tools/subset_screen_font.py NotoSansCJK-VF.otf.ttc

The source is the same as the chart font's (tools/subset_chart_font.py): Noto Sans CJK, SIL
Open Font License 1.1 (bench/fonts/OFL.txt); tests/bench/test_screens.py fails when a screen
text gains a character the subset lacks.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.screens import FONT, screen_texts  # noqa: E402
from tools.subset_chart_font import subset_noto  # noqa: E402

FAMILY = "Screen Sans SC"

if __name__ == "__main__":
    subset_noto(sys.argv[1], screen_texts(), FONT, FAMILY)
