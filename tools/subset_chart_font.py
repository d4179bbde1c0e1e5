"""Makes bot/fonts/ChartSansSC.otf: Noto Sans CJK SC Regular cut down to the chart's characters.

The chart (bot/stats_chart.py) draws its labels with this font and no other, so Chinese never
falls back to whatever the machine has (usually none: boxes). Only the characters the chart's
texts use are kept (a few dozen KB instead of 16 MB); tests/bot/test_stats_chart.py fails when
a text gains a character the font lacks, and then this is run again:

    .venv/bin/python tools/subset_chart_font.py NotoSansCJK-VF.otf.ttc

The source is Noto Sans CJK (SIL Open Font License 1.1, bot/fonts/OFL.txt), for example the
NotoSansCJK-VF.otf.ttc that the `manimgx-fonts-cjk` package on PyPI ships unmodified. The
subset is renamed, as the licence asks of a modified version.
"""

from __future__ import annotations

import string
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection
from fontTools.varLib import instancer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.stats_chart import chart_texts  # noqa: E402

TARGET = ROOT / "bot" / "fonts" / "ChartSansSC.otf"
FAMILY = "Chart Sans SC"
SC_FACE = "Noto Sans CJK SC"


def main(source: str) -> None:
    text = "".join(chart_texts()) + string.printable + "–—−≥<%·"
    subset_noto(source, text, TARGET, FAMILY)


def subset_noto(source: str, text: str, target: Path, family: str) -> None:
    """Writes Noto Sans CJK SC Regular cut down to `text`'s characters, renamed `family`."""
    collection = TTCollection(source)
    font = next(f for f in collection.fonts if f["name"].getDebugName(1).startswith(SC_FACE))
    options = subset.Options()
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
    options.layout_features = ["kern"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    # Fixed at Regular after the cut: instancing the whole variable font takes gigabytes.
    if "fvar" in font:
        font = instancer.instantiateVariableFont(font, {"wght": 400})
    names = font["name"]
    for record in names.names:
        if record.nameID in (1, 4, 16):
            record.string = family
        elif record.nameID == 6:
            record.string = family.replace(" ", "") + "-Regular"
        elif record.nameID == 3:
            record.string = f"{family} Regular (subset of Noto Sans CJK SC)"
    font.save(target)
    sys.stdout.write(f"{target}: {target.stat().st_size} bytes, {len(set(text))} characters\n")


if __name__ == "__main__":
    main(sys.argv[1])
