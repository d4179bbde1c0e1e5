"""The dossier's ZIP as a third party receives it: the PDF reads back, every file is listed,
the history checks out with the recipe README.txt documents, and staff-only steps stay out of
the buyer's copy."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from bot.dossier_files import Made
from bot.dossier_pdf import NoFontError, find_fonts
from cases.dossier import Audience
from tests.bot.dossier_kit import (
    EMOJI,
    INTERNAL_NOTE,
    RARE,
    build,
    events_json,
    run_documented_check,
    unpack,
)

pytestmark = pytest.mark.backend_independent


@pytest.fixture(scope="module")
def buyer_copy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Made, Path]:
    tmp = tmp_path_factory.mktemp("buyer")
    made = build(tmp, Audience.BUYER)
    return made, unpack(made.parts[0], tmp / "unpacked")


def pdf_text(folder: Path) -> str:
    reader = PdfReader(folder / "summary.pdf")
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_reads_back_with_the_case_number_and_the_chinese_names(
    buyer_copy: tuple[Made, Path],
) -> None:
    text = pdf_text(buyer_copy[1])
    assert "TS20261120-7K3Q9" in text
    assert "星辰网络科技有限公司" in text  # the respondent, from the legal details
    assert "91440300708461136T" in text
    assert "客服张伟不回复" in text  # what the buyer typed
    assert "付款记录.pdf" in text


def test_characters_no_font_has_are_written_as_code_points_not_dropped(
    buyer_copy: tuple[Made, Path],
) -> None:
    text = pdf_text(buyer_copy[1])
    assert "[U+20BB7]" in text
    assert "[U+1F600]" in text
    assert RARE not in text
    assert EMOJI not in text


def test_the_zip_holds_the_summary_the_records_and_every_file_not_removed(
    buyer_copy: tuple[Made, Path],
) -> None:
    made, folder = buyer_copy
    with zipfile.ZipFile(made.parts[0]) as archive:
        names = sorted(archive.namelist())
    assert names == [
        "README.txt", "events.json", "evidence/01.jpg", "evidence/02.pdf", "state.json",
        "summary.pdf",
    ]
    assert len(made.parts) == 1
    assert made.left == 1  # the removed file
    assert "已应买家要求删除" in pdf_text(folder)
    state = json.loads((folder / "state.json").read_text(encoding="utf-8"))
    for name in ("evidence/01.jpg", "evidence/02.pdf"):
        digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        assert digest in [item["sha256"] for item in state["evidence"]]


def test_the_history_checks_out_with_the_documented_recipe(
    buyer_copy: tuple[Made, Path],
) -> None:
    code, out = run_documented_check(buyer_copy[1])
    assert code == 0, out
    assert len(re.findall(r"^\d \w{64} ok$", out, re.MULTILINE)) == 4
    assert "state ok" in out


def test_a_changed_record_fails_the_documented_check(
    buyer_copy: tuple[Made, Path], tmp_path: Path
) -> None:
    folder = unpack(buyer_copy[0].parts[0], tmp_path)
    records = events_json(folder)
    records["events"][-1]["signed"]["amount"] = 600000
    (folder / "events.json").write_text(json.dumps(records, ensure_ascii=False), "utf-8")
    code, out = run_documented_check(folder)
    assert code == 1
    assert "BROKEN" in out


def test_a_changed_evidence_hash_in_the_state_fails_the_documented_check(
    buyer_copy: tuple[Made, Path], tmp_path: Path
) -> None:
    folder = unpack(buyer_copy[0].parts[0], tmp_path)
    state = json.loads((folder / "state.json").read_text(encoding="utf-8"))
    state["evidence"][0]["sha256"] = "0" * 64
    (folder / "state.json").write_text(json.dumps(state, ensure_ascii=False), "utf-8")
    code, out = run_documented_check(folder)
    assert (code, "state BROKEN" in out) == (1, True)


def test_the_buyers_copy_withholds_internal_notes_but_keeps_their_links(
    buyer_copy: tuple[Made, Path],
) -> None:
    folder = buyer_copy[1]
    records = events_json(folder)["events"]
    assert [("withheld" in record) for record in records] == [False, False, True, False]
    assert set(records[2]) == {"seq", "prev_hash", "hash", "withheld"}
    assert INTERNAL_NOTE not in (folder / "events.json").read_text(encoding="utf-8")
    assert INTERNAL_NOTE not in pdf_text(folder)


def test_the_staff_copy_has_every_step_in_full_and_blanks_without_legal_details(
    tmp_path: Path,
) -> None:
    made = build(tmp_path, Audience.STAFF, legal=None, locale="en")
    folder = unpack(made.parts[0], tmp_path / "unpacked")
    assert all("signed" in record for record in events_json(folder)["events"])
    text = pdf_text(folder)
    assert INTERNAL_NOTE in text
    assert "Unified social credit code: ____" in text
    assert run_documented_check(folder)[0] == 0


def test_a_font_named_but_missing_is_an_error_not_a_pdf_without_text(tmp_path: Path) -> None:
    with pytest.raises(NoFontError):
        find_fonts(tmp_path / "nope.ttc")


def test_evidence_beyond_one_upload_goes_into_numbered_parts_that_the_pdf_names(
    tmp_path: Path,
) -> None:
    made = build(tmp_path, Audience.BUYER, part_bytes=510, reserve=0)  # the photo has 503 bytes
    assert [path.name for path in made.parts] == [
        "dossier-TS20261120-7K3Q9-1of2.zip", "dossier-TS20261120-7K3Q9-2of2.zip"
    ]
    first, second = (zipfile.ZipFile(path).namelist() for path in made.parts)
    assert "summary.pdf" in first
    assert "evidence/01.jpg" in first
    assert second == ["evidence/02.pdf"]
    assert "第 2 份 ZIP 中的 evidence/02.pdf" in pdf_text(unpack(made.parts[0], tmp_path / "u"))
