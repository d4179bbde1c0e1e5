"""Computes and compares image fingerprints (cases/fingerprints.py): Pillow and imagehash here.

Both the hash and the detail picture are taken of the image's bottom part, as tall as
ANCHOR_RATIO times its width: cropping the status bar off a phone screenshot (its top few per
cent) leaves that part as it was, and a resized copy has the same part at another scale. For an
image shorter than that (a landscape picture) the part is the whole image, so a cropped copy of
one is not found.

The detail picture is that part in grey, DETAIL_WIDTH pixels wide, after a blur that drowns
the differences resampling and JPEG leave at sharp edges. Two copies of one picture differ in it
by little everywhere once their brightness is matched (a least-squares fit); two screenshots of
one app page differ by much where their order number, amount or card code differ. The numbers
were chosen on the generated set of bench/fingerprints.py, which reports where each lies.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from cases.fingerprints import Fingerprint, hamming

# imagehash pulls in numpy and scipy, tens of MB and most of a second: they load when the
# first image is hashed, not in every bot process at start-up (tests/bot/test_startup_imports.py).
if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

ANCHOR_RATIO = 1.9
WORK_WIDTH = 180  # resampled to this first, so the source's own resolution matters little
BLUR = 1.0
DETAIL_WIDTH = 60
DETAIL_MAX_HEIGHT = round(DETAIL_WIDTH * ANCHOR_RATIO)
# Near copies of the generated set differ by up to ~20 grey levels, screenshots of one layout
# with another order number, amount or code by 25 and more (bench/fingerprints.py).
MAX_DETAIL_DIFFERENCE = 22.0
# A decompression bomb is no evidence: Pillow's own limit warns first, this one refuses.
MAX_PIXELS = 40_000_000


def fingerprint_image(data: bytes | Path) -> Fingerprint | None:
    """The image's fingerprint; None when the bytes are no image Pillow reads."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(data if isinstance(data, Path) else io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS or min(image.size) < 8:
                return None
            # JPEG decodes at a reduced scale when asked: a phone photo needs no full decode.
            image.draft("L", (WORK_WIDTH * 2, WORK_WIDTH * 4))
            grey = image.convert("L")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    return fingerprint_picture(grey)


def fingerprint_picture(image: Image.Image) -> Fingerprint:
    """The fingerprint of a decoded image (any mode)."""
    import imagehash
    from PIL import Image, ImageFilter

    grey = image if image.mode == "L" else image.convert("L")
    part_height = min(grey.height, ANCHOR_RATIO * grey.width)
    box = (0.0, grey.height - part_height, float(grey.width), float(grey.height))
    work_height = max(1, round(WORK_WIDTH * part_height / grey.width))
    part = grey.resize((WORK_WIDTH, work_height), Image.Resampling.BOX, box=box)
    phash = int(str(imagehash.phash(part)), 16)
    blurred = part.filter(ImageFilter.GaussianBlur(BLUR))
    detail_height = max(1, round(DETAIL_WIDTH * part_height / grey.width))
    detail = blurred.resize((DETAIL_WIDTH, detail_height), Image.Resampling.BOX)
    return Fingerprint(phash=phash, detail=detail.tobytes())


def detail_difference(a: bytes, b: bytes) -> float:
    """The largest grey-level difference of two detail pictures once their brightness is
    matched, each fitted to the other; infinite when their shapes differ (another crop)."""
    if len(a) != len(b) or not a:
        return float("inf")
    import numpy as np

    x = np.frombuffer(a, dtype=np.uint8).astype(np.float64)
    y = np.frombuffer(b, dtype=np.uint8).astype(np.float64)
    return max(_fitted_difference(x, y), _fitted_difference(y, x))


def _fitted_difference(x: np.ndarray, y: np.ndarray) -> float:
    import numpy as np

    design = np.column_stack([x, np.ones_like(x)])
    (gain, offset), *_ = np.linalg.lstsq(design, y, rcond=None)
    return float(np.abs(x * gain + offset - y).max())


def same_picture(a: Fingerprint, b: Fingerprint, max_hash_distance: int) -> bool:
    """Whether two fingerprints are of one picture (a near copy), not merely one layout."""
    if hamming(a.phash, b.phash) > max_hash_distance:
        return False
    return detail_difference(a.detail, b.detail) <= MAX_DETAIL_DIFFERENCE
