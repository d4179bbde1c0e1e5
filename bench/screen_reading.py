"""Reading screenshots: precision and recall of each detection on the generated set
(bench/screens.py), the time per image, and what the model costs in memory.

Each screen is read by the same ScreenOcr and matched by the same code as the bot's screen
reader (bot/screen_reader.py), against the policy's default failure texts.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from bench.screens import screen_set
from bot.screen_ocr import ScreenOcr
from cases.policy import Policy
from cases.screen_reading import Matches, match

DETECTIONS = ("order_no", "card_code", "amount", "failure_text")


def _flags(found: Matches) -> dict[str, bool]:
    return {
        "order_no": found.order_no,
        "card_code": found.card_code,
        "amount": found.amount,
        "failure_text": bool(found.failure_texts),
    }


def run(count: int, workdir: Path) -> dict[str, Any]:
    process = psutil.Process()
    rss_before = process.memory_info().rss
    ocr = ScreenOcr()
    started = time.perf_counter()
    ocr.load()
    load_s = time.perf_counter() - started
    rss_loaded = process.memory_info().rss
    texts = Policy().screen_failure_texts
    tally = {name: {"tp": 0, "fp": 0, "fn": 0, "tn": 0} for name in DETECTIONS}
    seconds: list[float] = []
    wrong_failure_texts = 0
    peak = rss_loaded
    for screen in screen_set(count):
        path = workdir / screen.name
        path.write_bytes(screen.image)
        began = time.perf_counter()
        read = ocr.read(path)
        seconds.append(time.perf_counter() - began)
        peak = max(peak, process.memory_info().rss)
        found = match(read.text, screen.facts, texts)
        if found.failure_texts and found.failure_texts != screen.expected.failure_texts:
            wrong_failure_texts += 1
        want, got = _flags(screen.expected), _flags(found)
        for name in DETECTIONS:
            cell = ("t" if want[name] == got[name] else "f") + ("p" if got[name] else "n")
            tally[name][cell] += 1
    return {
        "screens": count,
        "load_s": round(load_s, 2),
        "rss_before_mb": round(rss_before / 2**20, 1),
        "model_mb": round((rss_loaded - rss_before) / 2**20, 1),
        "peak_mb": round(peak / 2**20, 1),
        "ms_per_image": round(statistics.mean(seconds) * 1000),
        "ms_per_image_max": round(max(seconds) * 1000),
        "wrong_failure_texts": wrong_failure_texts,
        "detections": {name: _scores(cells) for name, cells in tally.items()},
    }


def _scores(cells: dict[str, int]) -> dict[str, Any]:
    tp, fp, fn = cells["tp"], cells["fp"], cells["fn"]
    return {
        **cells,
        "precision": round(tp / (tp + fp), 3) if tp + fp else None,
        "recall": round(tp / (tp + fn), 3) if tp + fn else None,
    }


RowMaker = Callable[..., Any]


def rows(data: dict[str, Any], row: RowMaker) -> list[Any]:
    """The table's rows: each detection's precision and recall (targets 0.95), then the costs."""
    if "detections" not in data:
        return []
    out = []
    n = data["screens"]
    for name in DETECTIONS:
        scores = data["detections"][name]
        for measure in ("precision", "recall"):
            value = scores[measure]
            met = None if value is None else value >= 0.95
            what = f"screen reading, {name} {measure} ({n} screens)"
            out.append(row(what, value, ">= 0.95", met))
    out += [
        row("screen reading, OCR time per image (mean)", data["ms_per_image"], "(reported)", None,
            " ms"),
        row("screen reading, OCR time per image (max)", data["ms_per_image_max"], "(reported)",
            None, " ms"),
        row("screen reading, model load", data["load_s"], "(reported)", None, " s"),
        row("screen reading, RSS of the loaded model", data["model_mb"], "(reported)", None, " MB"),
        row("screen reading, RSS at peak (process)", data["peak_mb"], "(reported)", None, " MB"),
    ]  # fmt: skip
    return out
