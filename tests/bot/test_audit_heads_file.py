"""Reading the audit heads file's last publication without reading its heads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import audit_heads
from bot.audit_heads import last_publication
from cases.audit import Head
from cases.heads import HeadsFileError, Publication, to_line

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def line(days: int, heads: int) -> str:
    at = T0 + timedelta(days=days)
    published = {f"TS20261120-{n:05d}": Head(n + 1, f"{n:064x}") for n in range(heads)}
    return to_line(Publication(at, at.date(), f"{days:064x}", heads, heads * 2, published))


def test_no_file_and_an_empty_file_have_no_publication(tmp_path: Path) -> None:
    path = tmp_path / "heads.jsonl"
    assert last_publication(path) is None
    path.write_text("\n\n")
    assert last_publication(path) is None


@pytest.mark.parametrize("block", [1 << 20, 7, 64])  # lines across the reader's blocks too
def test_the_last_line_is_read_whatever_surrounds_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    monkeypatch.setattr(audit_heads, "_BLOCK", block)
    path = tmp_path / "heads.jsonl"
    path.write_text(line(0, 300) + line(1, 2) + "\n" + line(2, 40) + "\n")
    last = last_publication(path)
    assert last is not None
    assert (last.day, last.root, last.cases, last.events) == (
        (T0 + timedelta(days=2)).date(),
        f"{2:064x}",
        40,
        80,
    )
    assert last.heads == {}  # never read
    path.write_text(line(0, 3) + line(1, 1).rstrip("\n"))  # its newline never written
    last = last_publication(path)
    assert last is not None
    assert last.cases == 1


def test_a_last_line_that_is_not_a_publication_is_named_by_its_number(tmp_path: Path) -> None:
    path = tmp_path / "heads.jsonl"
    path.write_text(line(0, 3) + "\n" + line(1, 2)[:50] + "\n")
    with pytest.raises(HeadsFileError) as raised:
        last_publication(path)
    assert raised.value.line == 3
