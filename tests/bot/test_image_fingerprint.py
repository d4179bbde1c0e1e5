"""Image fingerprints on the generated screenshot set: near copies match, siblings do not."""

from __future__ import annotations

import pytest

from bench.screenshot_set import Original, png_bytes, screenshot_set
from bot.image_fingerprint import fingerprint_image, fingerprint_picture, same_picture
from cases.fingerprints import BANDS, MAX_HASH_DISTANCE, Fingerprint, bands, hamming

pytestmark = pytest.mark.backend_independent


@pytest.fixture(scope="session")
def screenshots() -> list[tuple[Original, Fingerprint]]:
    # One original per layout (the dark one included): a few dozen small images in all.
    return [(original, fingerprint_picture(original.image)) for original in screenshot_set(1)]


def _shares_a_band(a: int, b: int) -> bool:
    return any(x == y for x, y in zip(bands(a), bands(b), strict=True))


def test_every_near_copy_is_found_through_the_band_index(
    screenshots: list[tuple[Original, Fingerprint]],
) -> None:
    missed = []
    for original, fingerprint in screenshots:
        for name, copy in original.copies.items():
            theirs = fingerprint_picture(copy)
            found = _shares_a_band(fingerprint.phash, theirs.phash) and same_picture(
                fingerprint, theirs, MAX_HASH_DISTANCE
            )
            if not found:
                missed.append(f"{original.name}: {name}")
    assert missed == []


def test_no_other_screenshot_of_the_same_layout_matches(
    screenshots: list[tuple[Original, Fingerprint]],
) -> None:
    false_matches = []
    for original, fingerprint in screenshots:
        for field, sibling in original.siblings.items():
            theirs = fingerprint_picture(sibling)
            # The hash alone would take them for one picture: that is what the detail is for.
            assert hamming(fingerprint.phash, theirs.phash) <= MAX_HASH_DISTANCE
            if same_picture(fingerprint, theirs, MAX_HASH_DISTANCE):
                false_matches.append(f"{original.name}: other {field}")
    assert false_matches == []


def test_screenshots_of_different_layouts_do_not_match(
    screenshots: list[tuple[Original, Fingerprint]],
) -> None:
    for i, (_, a) in enumerate(screenshots):
        for _, b in screenshots[i + 1 :]:
            assert not same_picture(a, b, MAX_HASH_DISTANCE)


def test_a_file_is_read_from_its_bytes_and_what_is_no_image_has_no_fingerprint(
    screenshots: list[tuple[Original, Fingerprint]],
) -> None:
    original, fingerprint = screenshots[0]
    assert fingerprint_image(png_bytes(original.image)) == fingerprint
    assert fingerprint_image(b"%PDF-1.7 not a picture") is None


def test_hashes_within_three_bits_always_share_a_band() -> None:
    base = 0xF0F0_1234_ABCD_0FF0
    flips = [0, 17, 33, 63]  # one flip in each band but one, at most BANDS - 1 in all
    changed = base
    for bit in flips[: BANDS - 1]:
        changed ^= 1 << bit
    assert hamming(base, changed) == BANDS - 1
    assert _shares_a_band(base, changed)
