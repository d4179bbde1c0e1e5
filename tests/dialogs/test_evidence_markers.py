"""Evidence the bot refused or could not fetch is marked in staff views and the case file, and
kept from merchants."""

from __future__ import annotations

from dataclasses import replace

from cases.model import EvidenceStatus
from dialogs.context import DialogEnv
from dialogs.types import FileReply
from tests.dialogs.case_support import MERCHANT, CaseWorld
from tests.fakes.chat import Chat, photo
from tests.fakes.staff import AGENT, BUYER_ID, StaffChat, file_case, seed_staff
from tests.fakes.uow import FakeStore


def _mark(store: FakeStore, evidence_id: int, status: EvidenceStatus) -> None:
    store.evidence[evidence_id] = replace(store.evidence[evidence_id], status=status)


async def test_staff_see_which_file_failed_the_content_check(
    store: FakeStore, env: DialogEnv
) -> None:
    seed_staff(store)
    case_no = await file_case(store, env, evidence=(photo(1), photo(2)))
    _mark(store, 2, EvidenceStatus.REJECTED)
    answer = await StaffChat(store, env, AGENT).click(f"st:ev:{case_no}")
    files = [reply for reply in answer if isinstance(reply, FileReply)]
    assert [f.params["marker"] for f in files] == ["", "rejected"]
    assert "未通过检查" in answer.text("zh_CN")
    assert "failed the check" in answer.text("en")


async def test_the_case_file_marks_a_file_whose_download_was_given_up(
    store: FakeStore, env: DialogEnv
) -> None:
    case_no = await file_case(store, env, evidence=(photo(1),))
    _mark(store, 1, EvidenceStatus.FAILED)
    answer = await Chat(store, env, user_id=BUYER_ID).click(f"b:file:{case_no}")
    header = answer.params("case.file.header")
    assert [item["marker"] for item in header["evidence"]] == ["failed"]
    assert "下载失败" in answer.text("zh_CN")


async def test_a_merchant_is_not_sent_a_file_that_failed_the_content_check() -> None:
    world = CaseWorld.make()
    case_no = await world.with_merchant()
    [evidence_id] = list(world.store.evidence)
    _mark(world.store, evidence_id, EvidenceStatus.REJECTED)
    answer = await world.chat(MERCHANT).click(f"mc:ev:{case_no}")
    assert answer.keys == ["merchant.evidence_none"]
    card = await world.chat(MERCHANT).send(f"/status {case_no}")
    assert card.params("merchant.case")["evidence_count"] == 0
    assert f"mc:ev:{case_no}" not in card.buttons
