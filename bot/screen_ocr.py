"""Offline OCR of Chinese and Latin text in one stored image (the optional `ocr` extra).

RapidOCR on ONNX Runtime with the PP-OCRv4 models its wheel ships: nothing is downloaded, at
install or at run time. Without the extra the bot runs all the same and the staff card says
reading is off (`available()`).

Each read is bounded before the model sees the image: a picture of more than MAX_PIXELS is
refused unread (Pillow reads the size from the header, so a decompression bomb is never
decoded), and one of more than READ_PIXELS is scaled down to that first, as the model's cost
grows with the area. Calls are synchronous and meant for one worker thread (bot/screen_reader.py).
"""

from __future__ import annotations

import importlib.util
import logging
import math
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)

ENGINE_MODULE = "rapidocr_onnxruntime"
# A phone screenshot is 1080 × 2400 (2.6 MP); a long scrolling capture is scaled to this first.
READ_PIXELS = 4_000_000
# Beyond this the file is no screenshot (or a decompression bomb): not decoded at all.
MAX_PIXELS = 60_000_000
# One thread for the model: the other core stays with the bot's event loop and the database.
THREADS = 1


class ImageRefusedError(Exception):
    """The file is no image this reader will decode (too large, or not a picture)."""


@dataclass(frozen=True)
class ReadText:
    text: str  # the lines read, top to bottom, one per line
    lines: int


def available() -> bool:
    """Whether the OCR extra is installed (the model ships inside it)."""
    return importlib.util.find_spec(ENGINE_MODULE) is not None


class ScreenOcr:
    """One model, loaded on first use and kept; reads one image per call."""

    def __init__(self, threads: int = THREADS) -> None:
        self.threads = threads
        self._engine: Any = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Loads the model (a second or two, some 150 MB); later calls return at once."""
        with self._lock:
            if self._engine is not None:
                return
            from rapidocr_onnxruntime import RapidOCR

            # No angle classifier: screenshots are upright, and it costs a model run per line.
            self._engine = RapidOCR(
                use_cls=False,
                intra_op_num_threads=self.threads,
                inter_op_num_threads=1,
            )
            log.info("screen reader: OCR model loaded (%s thread)", self.threads)

    def read(self, path: Path) -> ReadText:
        """The text in the image at `path`; ImageRefusedError for a file not to decode."""
        return self.read_image(prepare(path))

    def read_image(self, picture: Image.Image) -> ReadText:
        """The text in a picture `prepare` made."""
        self.load()
        with self._lock:
            result, _ = self._engine(picture)
        texts = [str(item[1]) for item in result or () if str(item[1]).strip()]
        return ReadText(text="\n".join(texts), lines=len(texts))


def prepare(path: Path) -> Image.Image:
    """The image as RGB of at most READ_PIXELS, upright as the phone showed it."""
    # Pillow's image core loads on the first read, not in every bot process at start-up.
    from PIL import Image

    with warnings.catch_warnings():
        # Pillow warns, then raises, on pictures past its own bomb limit: either is a refusal.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as opened:
                return _bounded(opened)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise ImageRefusedError(f"too large to decode: {exc}") from exc
        except (OSError, ValueError, SyntaxError) as exc:
            raise ImageRefusedError(f"not a readable image: {exc}") from exc


def _bounded(image: Image.Image) -> Image.Image:
    from PIL import Image, ImageOps

    width, height = image.size  # from the header: nothing is decoded yet
    if width * height > MAX_PIXELS:
        raise ImageRefusedError(f"too large to read: {width} × {height} pixels")
    # JPEG decodes straight at a smaller size when asked: far less work for huge photos.
    image.draft("RGB", _within(width, height))
    upright = ImageOps.exif_transpose(image).convert("RGB")
    if upright.width * upright.height > READ_PIXELS:
        upright = upright.resize(_within(upright.width, upright.height), Image.Resampling.LANCZOS)
    return upright


def _within(width: int, height: int) -> tuple[int, int]:
    """The size with the same proportions and at most READ_PIXELS."""
    scale = min(1.0, math.sqrt(READ_PIXELS / (width * height)))
    return max(1, int(width * scale)), max(1, int(height * scale))
