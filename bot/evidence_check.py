"""Checks a downloaded evidence file by its content, not only by the MIME type the user declared.

Allowed: images, PDF, MP4 video and plain UTF-8 text (text has no magic number, so it is accepted
when it decodes as UTF-8 and holds no NUL byte). A file whose content is of another type, or of
another family than declared (a "PDF" that is an executable), is not stored as evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from cases.model import EvidenceKind

ALLOWED_EXACT = frozenset({"application/pdf", "video/mp4", "text/plain"})


@dataclass(frozen=True)
class Refusal:
    """Why a file is not stored: what was declared and what the content is."""

    declared: str
    found: str


def declared_type(kind: EvidenceKind, mime_type: str | None) -> str:
    """The type the user's message claims: Telegram photos are always JPEG."""
    if kind is EvidenceKind.PHOTO:
        return "image/jpeg"
    if mime_type:
        return mime_type.lower()
    return "video/mp4" if kind is EvidenceKind.VIDEO else "application/octet-stream"


def content_type(data: bytes) -> str:
    """The type the bytes themselves show; "text/plain" for UTF-8 text, else the magic number."""
    # Loaded with the first file checked: its matchers are 40 ms of a bot's start-up, and
    # only the evidence download job checks files.
    import filetype

    guess = filetype.guess(data)
    if guess is not None:
        return str(guess.mime)
    if b"\x00" not in data:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return "text/plain"
    return "application/octet-stream"


def _allowed(mime: str) -> bool:
    return mime.startswith("image/") or mime in ALLOWED_EXACT


def _family(mime: str) -> str:
    return mime if mime in ALLOWED_EXACT else mime.split("/", 1)[0]


def check_content(kind: EvidenceKind, mime_type: str | None, data: bytes) -> Refusal | None:
    """None when the file may be stored; else the refusal to record and tell staff about."""
    declared = declared_type(kind, mime_type)
    found = content_type(data)
    if not _allowed(found) or _family(found) != _family(declared):
        return Refusal(declared, found)
    return None
