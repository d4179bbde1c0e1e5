"""Evidence uploads: what is accepted, what is refused and why, and how albums are answered."""

from __future__ import annotations

import pytest

from cases.model import EvidenceFile, EvidenceKind
from cases.policy import MIB
from dialogs.draft import Step
from tests.fakes.chat import Chat, document, photo, video
from tests.fakes.filing_script import reach, saved_session


def evidence_count(chat: Chat) -> int:
    draft = saved_session(chat.store).draft
    assert draft is not None
    return len(draft.evidence)


@pytest.fixture
async def at_evidence(chat: Chat) -> Chat:
    await reach(chat, Step.EVIDENCE)
    return chat


async def test_the_prompt_names_the_evidence_that_helps_for_the_reason(chat: Chat) -> None:
    answer = await reach(chat, Step.EVIDENCE)

    params = answer.params("filing.ask_evidence")
    assert params["reason"] == "not_delivered"
    assert params["required"] is True
    assert "支付凭证" in answer.text("zh_CN")
    assert "chat record with the merchant" in answer.text("en")
    assert "f:done" in answer.buttons


async def test_a_card_code_complaint_asks_for_a_screenshot_of_the_card_code(chat: Chat) -> None:
    await reach(chat, Step.REASON)
    await chat.click("f:reason:card_invalid")

    answer = await chat.send("充值时提示卡密已被使用，请核实。")

    assert "卡密截图" in answer.text("zh_CN")
    assert "screenshot of the card code" in answer.text("en")


@pytest.mark.parametrize(
    "file", [photo(1), document(), video(1), document("chat.txt", "text/plain")]
)
async def test_photos_documents_text_and_videos_are_accepted(
    at_evidence: Chat, file: EvidenceFile
) -> None:
    answer = await at_evidence.upload(file)

    assert answer.keys == ["filing.evidence_received"]
    assert answer.params("filing.evidence_received") == {"count": 1, "max_files": 10}
    assert "f:done" in answer.buttons


async def test_an_album_is_acknowledged_once(at_evidence: Chat) -> None:
    answers = [await at_evidence.upload(photo(n), media_group_id="album-1") for n in range(1, 5)]

    assert [answer.keys for answer in answers] == [["filing.evidence_album_received"], [], [], []]
    assert evidence_count(at_evidence) == 4


async def test_a_second_album_is_acknowledged_again(at_evidence: Chat) -> None:
    await at_evidence.upload(photo(1), media_group_id="album-1")

    answer = await at_evidence.upload(photo(2), media_group_id="album-2")

    assert answer.keys == ["filing.evidence_album_received"]


async def test_the_same_file_twice_counts_once(at_evidence: Chat) -> None:
    await at_evidence.upload(photo(1))

    answer = await at_evidence.upload(photo(1))

    assert answer.keys == ["filing.evidence_duplicate"]
    assert evidence_count(at_evidence) == 1


async def test_the_eleventh_file_is_refused(at_evidence: Chat) -> None:
    for n in range(1, 11):
        await at_evidence.upload(photo(n))

    answer = await at_evidence.upload(photo(11))

    assert answer.keys == ["filing.evidence_too_many"]
    assert answer.params("filing.evidence_too_many") == {"max_files": 10}
    assert evidence_count(at_evidence) == 10


async def test_an_album_over_the_limit_is_refused_once(at_evidence: Chat) -> None:
    for n in range(1, 10):
        await at_evidence.upload(photo(n))

    answers = [await at_evidence.upload(photo(n), media_group_id="big") for n in range(10, 14)]

    assert [answer.keys for answer in answers] == [
        ["filing.evidence_album_received"], ["filing.evidence_too_many"], [], [],
    ]
    assert evidence_count(at_evidence) == 10


async def test_a_21_mb_file_is_refused_with_the_limit(at_evidence: Chat) -> None:
    answer = await at_evidence.upload(video(1, size=21 * MIB))

    params = answer.params("filing.evidence_too_large")
    assert params["max_mb"] == 20
    assert params["size_mb"] == "21.0"
    assert evidence_count(at_evidence) == 0


async def test_a_zip_archive_is_refused_with_the_accepted_types(at_evidence: Chat) -> None:
    answer = await at_evidence.upload(document("records.zip", "application/zip"))

    params = answer.params("filing.evidence_bad_type")
    assert params["file_name"] == "records.zip"
    assert params["mime_type"] == "application/zip"
    assert "application/pdf" in params["allowed"]
    assert evidence_count(at_evidence) == 0


async def test_a_refused_file_inside_an_album_is_still_reported(at_evidence: Chat) -> None:
    await at_evidence.upload(photo(1), media_group_id="mixed")

    answer = await at_evidence.upload(document("x.zip", "application/zip"), media_group_id="mixed")

    assert answer.keys == ["filing.evidence_bad_type"]


async def test_a_reason_that_needs_evidence_cannot_skip_it(at_evidence: Chat) -> None:
    answer = await at_evidence.click("f:done")

    assert answer.keys == ["filing.evidence_required"]
    assert answer.params("filing.evidence_required") == {"reason": "not_delivered"}


@pytest.mark.parametrize("reason", ["not_satisfied", "other"])
async def test_not_satisfied_and_other_may_go_without_evidence(chat: Chat, reason: str) -> None:
    await reach(chat, Step.REASON)
    await chat.click(f"f:reason:{reason}")
    prompt = await chat.send("收到的商品和我想要的不一样，不太满意。")
    assert prompt.params("filing.ask_evidence")["required"] is False

    answer = await chat.click("f:done")

    assert answer.key == "filing.ask_refund_kind"


async def test_text_where_a_file_is_expected_gets_a_hint(at_evidence: Chat) -> None:
    answer = await at_evidence.send("截图马上发")

    assert answer.keys == ["filing.evidence_expected", "filing.ask_evidence"]


async def test_a_file_where_text_is_expected_gets_a_hint(chat: Chat) -> None:
    await reach(chat, Step.DESCRIPTION)

    answer = await chat.upload(photo(1))

    assert answer.keys == ["error.file_not_expected", "filing.ask_description"]


async def test_a_file_without_a_complaint_explains_where_files_go(chat: Chat) -> None:
    answer = await chat.upload(photo(1))

    assert answer.keys == ["menu.file_without_case"]


async def test_a_document_without_mime_type_is_judged_by_its_name(at_evidence: Chat) -> None:
    file = EvidenceFile(EvidenceKind.DOCUMENT, "d", "u-d", None, 1000, "receipt.pdf")

    answer = await at_evidence.upload(file)

    assert answer.keys == ["filing.evidence_received"]
