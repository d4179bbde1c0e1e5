"""Evidence is judged by its bytes: an executable declared as a PDF is not stored."""

from __future__ import annotations

import pytest

from bot.evidence_check import Refusal, check_content
from cases.model import EvidenceKind

pytestmark = pytest.mark.backend_independent

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
PDF = b"%PDF-1.7\n" + b"\x00" * 32
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 32
EXE = b"MZ\x90\x00" + b"\x00" * 60
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 64
ZIP = b"PK\x03\x04" + b"\x00" * 32


@pytest.mark.parametrize(
    ("kind", "mime", "data"),
    [
        (EvidenceKind.PHOTO, None, JPEG),
        (EvidenceKind.DOCUMENT, "image/png", PNG),
        (EvidenceKind.DOCUMENT, "application/pdf", PDF),
        (EvidenceKind.VIDEO, "video/mp4", MP4),
        (EvidenceKind.DOCUMENT, "text/plain", "聊天记录：商家说已发货".encode()),
    ],
)
def test_files_whose_content_matches_an_allowed_type_are_stored(
    kind: EvidenceKind, mime: str | None, data: bytes
) -> None:
    assert check_content(kind, mime, data) is None


@pytest.mark.parametrize(
    ("kind", "mime", "data", "found"),
    [
        (EvidenceKind.DOCUMENT, "application/pdf", EXE, "application/x-msdownload"),
        (EvidenceKind.DOCUMENT, "application/pdf", ELF, "application/x-executable"),
        (EvidenceKind.DOCUMENT, "image/png", ZIP, "application/zip"),
        (EvidenceKind.DOCUMENT, "application/pdf", PNG, "image/png"),
        (EvidenceKind.PHOTO, None, PDF, "application/pdf"),
        (EvidenceKind.DOCUMENT, "text/plain", b"\xff\xfe\x00binary", "application/octet-stream"),
    ],
)
def test_content_that_is_not_allowed_or_contradicts_the_declared_type_is_refused(
    kind: EvidenceKind, mime: str, data: bytes, found: str
) -> None:
    refusal = check_content(kind, mime, data)
    assert isinstance(refusal, Refusal)
    assert refusal.found == found
