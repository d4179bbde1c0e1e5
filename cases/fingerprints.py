"""Evidence fingerprints: the same screenshot sent again, in another buyer's case or one's own.

Every stored image gets a perceptual hash (64 bits) and a small detail picture
(bot/image_fingerprint.py computes both). Two images match when they have the same SHA-256, or
when their hashes are within MAX_HASH_DISTANCE bits *and* their detail pictures agree: the hash
alone cannot tell two screenshots of one app page apart (same layout, another order number), as
their difference is a few glyphs that a 64-bit hash does not see.

Looking a hash up must not read every hash: the hash is split into BANDS bands of 16 bits, each
an indexed column. Two hashes within BANDS - 1 bits share at least one band exactly (pigeonhole),
so the candidates are the rows that share a band, and only those few are compared.

A match in *another buyer's* case is the signal staff are told of (the same proof offered for
two buyers' orders); a buyer's own screenshot in two of their cases is shown on the card too but
marked as theirs, since one payment page or chat often covers two of one buyer's orders.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from cases.model import EvidenceFile, EvidenceKind

# The fingerprint worker (bot/fingerprints.py) claims jobs of this kind; the evidence downloader
# schedules one when it stores an image, in the same transaction.
FINGERPRINT_JOB = "fingerprint_evidence"
HASH_BITS = 64
BANDS = 4
BAND_BITS = HASH_BITS // BANDS
# Every hash within BANDS - 1 bits is found; a candidate further off that shares a band is still
# taken up to this distance (the measured near copies of bench/fingerprints.py lie within 4).
MAX_HASH_DISTANCE = 6


def fingerprint_job_key(evidence_id: int) -> str:
    """One fingerprint job per evidence file, whoever schedules it (download or backfill)."""
    return f"fingerprint:{evidence_id}"


class MatchKind(StrEnum):
    SAME = "same"  # the same bytes (SHA-256)
    SIMILAR = "similar"  # the same picture, recompressed, resized, lightly edited or cropped


@dataclass(frozen=True)
class Fingerprint:
    """An image's perceptual hash (unsigned 64 bits) and its detail picture (opaque bytes)."""

    phash: int
    detail: bytes


@dataclass(frozen=True)
class Candidate:
    """Another stored image that may be the same picture, with its case and buyer."""

    evidence_id: int
    case_no: str
    buyer_id: int
    fingerprint: Fingerprint | None  # None when only its SHA-256 is known to match


@dataclass(frozen=True)
class EvidenceMatch:
    """A file of this case is the same picture as a file of another case."""

    evidence_id: int
    other_evidence_id: int
    other_case_no: str
    kind: MatchKind
    same_buyer: bool


def wants_fingerprint(file: EvidenceFile) -> bool:
    """Photos, and documents that say they are images (a screenshot sent uncompressed)."""
    if file.kind is EvidenceKind.PHOTO:
        return True
    return file.kind is EvidenceKind.DOCUMENT and (file.mime_type or "").startswith("image/")


def bands(phash: int) -> tuple[int, ...]:
    """The hash cut into BANDS values of BAND_BITS bits, most significant first."""
    mask = (1 << BAND_BITS) - 1
    return tuple((phash >> (BAND_BITS * (BANDS - 1 - i))) & mask for i in range(BANDS))


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


class FingerprintRepository(Protocol):
    async def put(
        self, evidence_id: int, fingerprint: Fingerprint | None, at: datetime
    ) -> None:
        """Keeps the image's fingerprint; None records that the file is no image we can read."""
        ...

    async def near(
        self, evidence_id: int, phash: int, max_distance: int, limit: int
    ) -> list[Candidate]:
        """Other kept images sharing a band with `phash` and within `max_distance` bits of it
        (removed files left out), the newest `limit` of them."""
        ...

    async def same_content(self, evidence_id: int, sha256: str) -> list[Candidate]:
        """Other kept files with this SHA-256 (removed files left out)."""
        ...

    async def add_match(self, match: EvidenceMatch, at: datetime) -> bool:
        """Records the match both ways; False when it was known already."""
        ...

    async def matches(self, case_no: str) -> list[EvidenceMatch]:
        """The matches of the case's files with files of other cases still kept."""
        ...

    async def unfingerprinted_images(self, after_id: int, limit: int) -> list[int]:
        """Stored images past `after_id` that have no fingerprint yet, by id (the backfill)."""
        ...


SameCheck = Callable[[Fingerprint, Fingerprint], bool]


def find_matches(
    evidence_id: int,
    case_no: str,
    buyer_id: int,
    fingerprint: Fingerprint | None,
    same_content: Iterable[Candidate],
    near: Iterable[Candidate],
    same_picture: SameCheck,
) -> list[EvidenceMatch]:
    """The other cases' files that are this picture: the same bytes first, then the near copies
    `same_picture` confirms. Files of the same case are not matches (a file sent twice)."""
    found: dict[int, EvidenceMatch] = {}
    for candidate, kind in [(c, MatchKind.SAME) for c in same_content] + [
        (c, MatchKind.SIMILAR) for c in near
    ]:
        if candidate.case_no == case_no or candidate.evidence_id in found:
            continue
        if kind is MatchKind.SIMILAR and (
            fingerprint is None
            or candidate.fingerprint is None
            or not same_picture(fingerprint, candidate.fingerprint)
        ):
            continue
        found[candidate.evidence_id] = EvidenceMatch(
            evidence_id=evidence_id,
            other_evidence_id=candidate.evidence_id,
            other_case_no=candidate.case_no,
            kind=kind,
            same_buyer=candidate.buyer_id == buyer_id,
        )
    return list(found.values())
