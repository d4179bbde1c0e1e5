"""Evidence fingerprints: near copies found and screenshots of one layout told apart, and the
band lookup over many hashes.

The set is bench/screenshot_set.py's: originals of four app layouts, each with ten near copies
and four siblings (the same layout with another order number, amount, card code, or all three).
Each image goes through the path a stored file takes (PNG bytes → bot/image_fingerprint.py); a
near copy counts as found when it shares a band with its original (the index finds it) and the
fingerprints agree; a sibling or another original that agrees is a false match.

The lookup runs the band query of storage/repositories/fingerprints.py on a SQLite table of
random hashes, the way the fingerprint job asks it (the rows sharing a band, then those within
MAX_HASH_DISTANCE bits): the time per lookup, how many rows share a band, and that a stored
hash with three bits flipped is always among them.
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

import imagehash

from bench.screenshot_set import png_bytes, screenshot_set
from bot.image_fingerprint import detail_difference, fingerprint_image, same_picture
from cases.fingerprints import MAX_HASH_DISTANCE, Fingerprint, bands, hamming
from storage.repositories.fingerprints import to_signed, to_unsigned

LOOKUPS = 200


def _fingerprint(image: Any, timings: list[float]) -> Fingerprint:
    data = png_bytes(image)
    started = time.perf_counter()
    fingerprint = fingerprint_image(data)
    timings.append(time.perf_counter() - started)
    if fingerprint is None:
        raise RuntimeError("a generated screenshot could not be read")
    return fingerprint


def _found(a: Fingerprint, b: Fingerprint) -> bool:
    shares = any(x == y for x, y in zip(bands(a.phash), bands(b.phash), strict=True))
    return shares and same_picture(a, b, MAX_HASH_DISTANCE)


def measure_set(per_layout: int) -> dict[str, Any]:
    """Found and false-match counts on the generated set, and where the margins lie."""
    timings: list[float] = []
    found: Counter[str] = Counter()
    copies: Counter[str] = Counter()
    false: Counter[str] = Counter()
    siblings: Counter[str] = Counter()
    near_detail, near_bits, sibling_detail = [], [], []
    whole_bits: list[int] = []
    originals = []
    for original in screenshot_set(per_layout):
        mine = _fingerprint(original.image, timings)
        originals.append(mine)
        whole = imagehash.phash(original.image)
        for name, copy in original.copies.items():
            theirs = _fingerprint(copy, timings)
            if "cropped" in name:
                # Why the hash is taken of the bottom part: the whole image's moves with a crop.
                whole_bits.append(int(whole - imagehash.phash(copy)))
            copies[name] += 1
            found[name] += _found(mine, theirs)
            near_detail.append(detail_difference(mine.detail, theirs.detail))
            near_bits.append(hamming(mine.phash, theirs.phash))
        for field, sibling in original.siblings.items():
            theirs = _fingerprint(sibling, timings)
            siblings[field] += 1
            false[field] += _found(mine, theirs)
            sibling_detail.append(detail_difference(mine.detail, theirs.detail))
    pairs = [(a, b) for i, a in enumerate(originals) for b in originals[i + 1 :]]
    return {
        "originals": len(originals),
        "near_copies": sum(copies.values()),
        "near_found": sum(found.values()),
        "near_found_by_kind": {name: f"{found[name]}/{copies[name]}" for name in copies},
        "siblings": sum(siblings.values()),
        "siblings_matched": sum(false.values()),
        "siblings_matched_by_field": {f: f"{false[f]}/{siblings[f]}" for f in siblings},
        "other_originals": len(pairs),
        "other_originals_matched": sum(_found(a, b) for a, b in pairs),
        "near_max_hash_bits": max(near_bits),
        "cropped_whole_image_hash_bits": [min(whole_bits), max(whole_bits)],
        "near_max_detail": round(max(near_detail), 1),
        "sibling_min_detail": round(min(sibling_detail), 1),
        "fingerprint_median_ms": round(statistics.median(timings) * 1000, 2),
        "images": len(timings),
    }


def measure_lookup(rows: int, workdir: Path) -> dict[str, Any]:
    """The band lookup over `rows` stored hashes: its time and how many candidates it returns."""
    path = workdir / "fingerprints.db"
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE evidence_fingerprints (evidence_id INTEGER PRIMARY KEY, phash BIGINT,"
        " band0 INTEGER, band1 INTEGER, band2 INTEGER, band3 INTEGER, detail BLOB)"
    )
    rnd = random.Random(20261207)  # noqa: S311 (made-up hashes)
    hashes = [rnd.getrandbits(64) for _ in range(rows)]
    db.executemany(
        "INSERT INTO evidence_fingerprints VALUES (?, ?, ?, ?, ?, ?, ?)",
        ((i, to_signed(h), *bands(h), b"") for i, h in enumerate(hashes, start=1)),
    )
    for band in range(4):
        db.execute(f"CREATE INDEX ix_band{band} ON evidence_fingerprints (band{band})")
    db.commit()
    query = (
        "SELECT evidence_id, phash FROM evidence_fingerprints WHERE (band0 = ? OR"
        " band1 = ? OR band2 = ? OR band3 = ?) AND evidence_id != ?"
    )
    plan = " ".join(str(r[-1]) for r in db.execute("EXPLAIN QUERY PLAN " + query, (0,) * 5))
    times, candidates, close, missed = [], [], [], 0
    for n in range(LOOKUPS):
        # Half the lookups are of a stored hash with three bits flipped: it must be found.
        wanted = hashes[rnd.randrange(rows)] if n % 2 else rnd.getrandbits(64)
        probe = wanted ^ (1 | 1 << 20 | 1 << 40) if n % 2 else wanted
        started = time.perf_counter()
        got = db.execute(query, (*bands(probe), -1)).fetchall()
        kept = [i for i, h in got if hamming(to_unsigned(h), probe) <= MAX_HASH_DISTANCE]
        times.append(time.perf_counter() - started)
        candidates.append(len(got))
        close.append(len(kept))
        if n % 2 and not any(to_signed(wanted) == row[1] for row in got):
            missed += 1
    db.close()
    path.unlink(missing_ok=True)
    return {
        "rows": rows,
        "lookup_median_ms": round(statistics.median(times) * 1000, 3),
        "lookup_max_ms": round(max(times) * 1000, 3),
        "sharing_a_band_median": statistics.median(candidates),
        "within_distance_median": statistics.median(close),
        "missed_within_3_bits": missed,
        "uses_band_indexes": all(f"ix_band{b}" in plan for b in range(4)),
    }


async def run(per_layout: int, rows: int, workdir: Path) -> dict[str, Any]:
    return {"set": measure_set(per_layout), "lookup": measure_lookup(rows, workdir)}


def table_rows(result: dict[str, Any], row: Any) -> list[Any]:
    """This section's lines of the bench table, made with bench/run.py's `_row`."""
    got, lookup = result.get("set"), result.get("lookup")
    if not got or not lookup:
        return []
    near, siblings, others = got["near_copies"], got["siblings"], got["other_originals"]
    median = lookup["lookup_median_ms"]
    return [
        row(f"fingerprints: near copies found, of {near}", got["near_found"], f"{near}",
            got["near_found"] == near),
        row(f"fingerprints: same layout, other text, matched, of {siblings}",
            got["siblings_matched"], "0", got["siblings_matched"] == 0),
        row(f"fingerprints: other originals matched, of {others} pairs",
            got["other_originals_matched"], "0", got["other_originals_matched"] == 0),
        row("fingerprint of one screenshot (360x780 PNG)", got["fingerprint_median_ms"],
            "(reported)", None, " ms"),
        row(f"fingerprint lookup, {lookup['rows']:,} hashes, median", median, "<= 5 ms",
            median <= 5 and lookup["missed_within_3_bits"] == 0, " ms"),
    ]  # fmt: skip
