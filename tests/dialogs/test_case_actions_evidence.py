"""A buyer asked for more evidence sends files, presses Done, and the case goes back to review."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cases.evidence import DOWNLOAD_EVIDENCE_JOB
from cases.model import CaseStatus
from cases.policy import MIB, Policy
from tests.dialogs.case_support import BUYER, STRANGER, CaseWorld
from tests.fakes.chat import Chat, document, photo, video


@pytest.fixture
def world() -> CaseWorld:
    return CaseWorld.make()


@pytest.fixture
def buyer(world: CaseWorld) -> Chat:
    return world.chat(BUYER)


def case_files(world: CaseWorld, case_no: str) -> list[str]:
    return [item.file.file_id for item in world.store.evidence.values() if item.case_no == case_no]


async def test_evidence_without_a_number_lists_the_cases_waiting_for_it(
    world: CaseWorld, buyer: Chat
) -> None:
    waiting = await world.awaiting_evidence()
    await world.file("A1002")  # in review: not listed
    answer = await buyer.send("/evidence")
    [listed] = answer.params("case.evidence_waiting")["cases"]
    assert listed["case_no"] == waiting
    assert answer.buttons == [f"b:ev:{waiting}"]


async def test_evidence_without_a_number_says_when_nothing_waits(
    world: CaseWorld, buyer: Chat
) -> None:
    await world.file()
    assert (await buyer.send("/evidence")).keys == ["case.evidence_none_waiting"]


async def test_the_button_asks_for_files_and_quotes_what_support_asked_for(
    world: CaseWorld, buyer: Chat
) -> None:
    case_no = await world.awaiting_evidence()
    answer = await buyer.click(f"b:ev:{case_no}")
    params = answer.params("case.ask_evidence")
    assert params["request"] == "请补充付款截图和与商家的聊天记录"
    assert (params["have"], params["room"]) == (1, 9)
    assert answer.buttons == [f"b:evd:{case_no}", f"b:evx:{case_no}"]


async def test_files_then_done_put_the_case_back_in_review(
    world: CaseWorld, buyer: Chat
) -> None:
    case_no = await world.awaiting_evidence()
    await buyer.send(f"/evidence {case_no}")
    assert (await buyer.upload(photo(2))).keys == ["case.evidence_received"]
    await buyer.upload(document("chat.pdf", n=3))
    assert case_files(world, case_no) == ["photo-1"]  # nothing reaches the case before Done
    answer = await buyer.click(f"b:evd:{case_no}")
    # The buyer's notice of the change is the answer itself, not a second message later.
    assert answer.keys == ["notice.buyer.evidence_received"]
    assert not any(
        row.payload["key"] == "notice.buyer.evidence_received" for row in world.outbox_to(BUYER)
    )
    assert world.case(case_no).status is CaseStatus.IN_REVIEW
    assert world.actions(case_no)[-1] == "supply_evidence"
    assert case_files(world, case_no) == ["photo-1", "photo-2", "doc-3"]
    downloads = [job for job in world.store.jobs if job.kind == DOWNLOAD_EVIDENCE_JOB]
    assert len(downloads) == 3  # one per file, the filing's included


async def test_done_without_a_new_file_asks_for_one(world: CaseWorld, buyer: Chat) -> None:
    case_no = await world.awaiting_evidence()
    await buyer.click(f"b:ev:{case_no}")
    answer = await buyer.click(f"b:evd:{case_no}")
    assert answer.keys == ["case.evidence_empty"]
    assert world.case(case_no).status is CaseStatus.AWAITING_EVIDENCE
    await buyer.upload(photo(2))
    assert (await buyer.click(f"b:evd:{case_no}")).keys == ["notice.buyer.evidence_received"]


async def test_the_case_files_count_towards_the_limit_and_duplicates_are_told(
    world: CaseWorld,
) -> None:
    world.env = replace(world.env, policy=Policy(max_evidence_files=3))
    case_no = await world.awaiting_evidence()
    buyer = world.chat(BUYER)
    await buyer.click(f"b:ev:{case_no}")
    assert (await buyer.upload(photo(1))).keys == ["case.evidence_duplicate"]  # sent at filing
    await buyer.upload(photo(2))
    await buyer.upload(photo(3))
    assert (await buyer.upload(photo(4))).keys == ["case.evidence_too_many"]
    await buyer.click(f"b:evd:{case_no}")
    assert case_files(world, case_no) == ["photo-1", "photo-2", "photo-3"]


async def test_the_filing_rules_on_type_and_size_apply(world: CaseWorld, buyer: Chat) -> None:
    case_no = await world.awaiting_evidence()
    await buyer.click(f"b:ev:{case_no}")
    zipped = await buyer.upload(document("chat.zip", mime="application/zip"))
    assert zipped.keys == ["case.evidence_bad_type"]
    huge = await buyer.upload(video(size=25 * MIB))
    assert huge.params("case.evidence_too_large")["max_mb"] == 20
    assert (await buyer.click(f"b:evd:{case_no}")).keys == ["case.evidence_empty"]


async def test_an_album_is_acknowledged_once(world: CaseWorld, buyer: Chat) -> None:
    case_no = await world.awaiting_evidence()
    await buyer.click(f"b:ev:{case_no}")
    first = await buyer.upload(photo(2), media_group_id="album-1")
    second = await buyer.upload(photo(3), media_group_id="album-1")
    assert first.keys == ["case.evidence_album_received"]
    assert second.keys == []
    await buyer.click(f"b:evd:{case_no}")
    assert case_files(world, case_no) == ["photo-1", "photo-2", "photo-3"]


async def test_text_while_uploading_is_a_reminder_and_status_still_works(
    world: CaseWorld, buyer: Chat
) -> None:
    case_no = await world.awaiting_evidence()
    await buyer.click(f"b:ev:{case_no}")
    await buyer.upload(photo(2))
    assert (await buyer.send("截图发好了")).params("case.evidence_expected")["count"] == 1
    assert (await buyer.send(f"/status {case_no}")).keys == ["status.case"]
    await buyer.click(f"b:evd:{case_no}")
    assert case_files(world, case_no) == ["photo-1", "photo-2"]


async def test_the_upload_survives_a_restart(world: CaseWorld, buyer: Chat) -> None:
    case_no = await world.awaiting_evidence()
    await buyer.click(f"b:ev:{case_no}")
    await buyer.upload(photo(2))
    restarted = buyer.restart()
    await restarted.upload(photo(3))
    await restarted.click(f"b:evd:{case_no}")
    assert case_files(world, case_no) == ["photo-1", "photo-2", "photo-3"]


@pytest.mark.parametrize("stop", ["/cancel", "cancel button"])
async def test_cancelling_sends_nothing(world: CaseWorld, buyer: Chat, stop: str) -> None:
    case_no = await world.awaiting_evidence()
    await buyer.click(f"b:ev:{case_no}")
    await buyer.upload(photo(2))
    if stop == "/cancel":
        assert (await buyer.send("/cancel")).keys == ["side.input_dropped"]
    else:
        cancelled = await buyer.click(f"b:evx:{case_no}")
        assert cancelled.params("case.evidence_cancelled")["count"] == 1
    # The case still waits for evidence: a stray file points there, not to a new complaint.
    stray = await buyer.upload(photo(3))
    assert stray.keys == ["menu.file_evidence_waiting"]
    assert stray.buttons == [f"b:ev:{case_no}"]
    assert "/evidence" in stray.text("zh_CN")
    assert case_files(world, case_no) == ["photo-1"]
    assert world.case(case_no).status is CaseStatus.AWAITING_EVIDENCE


async def test_starting_a_new_complaint_ends_the_upload(world: CaseWorld, buyer: Chat) -> None:
    case_no = await world.awaiting_evidence()
    await buyer.click(f"b:ev:{case_no}")
    await buyer.upload(photo(2))
    answer = await buyer.send("/complain A1002")
    assert answer.keys[0] == "case.evidence_abandoned"
    assert "filing.ask_account" in answer.keys
    assert case_files(world, case_no) == ["photo-1"]


async def test_a_case_that_does_not_wait_for_evidence_says_so(
    world: CaseWorld, buyer: Chat
) -> None:
    case_no = await world.file()
    answer = await buyer.click(f"b:ev:{case_no}")
    assert answer.params("case.evidence_not_requested")["status"] == "submitted"
    assert (await buyer.upload(photo(2))).keys == ["menu.file_without_case"]


async def test_someone_elses_case_is_answered_like_an_unknown_number(world: CaseWorld) -> None:
    case_no = await world.awaiting_evidence()
    stranger = world.chat(STRANGER)
    for event in (f"/evidence {case_no}", f"/status {case_no}"):
        assert (await stranger.send(event)).keys == ["status.not_found"]
    assert (await stranger.click(f"b:ev:{case_no}")).keys == ["status.not_found"]
    assert (await stranger.click(f"b:evd:{case_no}")).keys == ["status.not_found"]
    unknown = "TS20261125-ZZZZZ"
    assert (await stranger.click(f"b:ev:{unknown}")).keys == ["status.not_found"]


async def test_a_bad_case_number_is_explained(world: CaseWorld, buyer: Chat) -> None:
    assert (await buyer.send("/evidence 12345")).keys == ["case.bad_number"]
