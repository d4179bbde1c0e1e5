"""Evidence uploads through the real bot: size before download, type by content, hash names only.

A file over the limit is refused without asking Telegram for it; a file is judged by its bytes
as well as by the MIME type its sender declared; and nothing the sender chose (file name, MIME
type) becomes part of a path: files land only under EVIDENCE_DIR, named by their SHA-256.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.evidence import evidence_path
from cases.model import EvidenceStatus
from cases.ports import StoredEvidence
from sandbox.botapi import FakeBotAPI
from tests.bot.harness import BotHarness, Person, bot_harness
from tests.bot.hostile_kit import EXE, JPEG, PDF, markup_problems
from tests.bot.hostile_scenes import CASE_NO, NOW, STAFF_GROUP, file_until, order
from tests.bot.outbox_support import VirtualTime, deliver_all, make_sender

ORDER_NO = "KM202611250001"
OVER_LIMIT = PDF + b"\x00" * (20 * 1024 * 1024)  # just over the 20 MB default


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    async with bot_harness(tmp_path, fake_api, NOW, staff_chat_id=STAFF_GROUP) as running:
        await running.add_orders(order(ORDER_NO))
        yield running


async def submit(buyer: Person) -> str:
    """From the evidence step to a case number."""
    for button in ("f:done", "f:refund:full", "f:method:original", "f:submit"):
        await buyer.click(button)
    found = CASE_NO.search(buyer.last_text())
    assert found, buyer.texts()[-2:]
    return found.group(0)


async def download_all(harness: BotHarness) -> None:
    for _ in range(20):
        if await harness.download_evidence() == 0:
            return
    raise AssertionError("the evidence downloader never went idle")


async def evidence_of(harness: BotHarness, case_no: str) -> list[StoredEvidence]:
    async with harness.deps.uow() as uow:
        return list(await uow.evidence.list(case_no))


def requested(harness: BotHarness, file_id: str) -> bool:
    """Whether the bot asked Telegram about the file (getFile) at all."""
    return any(call.params.get("file_id") == file_id for call in harness.api.calls("getFile"))


def sent_file_id(update: dict[str, Any]) -> str:
    message = update["message"]
    item = message["photo"][-1] if "photo" in message else message["document"]
    return str(item["file_id"])


async def staff_notices(harness: BotHarness) -> list[str]:
    time = VirtualTime(harness.clock)
    await deliver_all(make_sender(harness.deps, harness.bot, "w1", time), harness.deps.engine, time)
    return [m.text for m in harness.api.sent_messages(STAFF_GROUP)]


async def test_a_file_over_the_limit_is_refused_without_asking_telegram_for_it(
    harness: BotHarness,
) -> None:
    buyer = harness.user()
    await file_until(buyer, ORDER_NO, "evidence")
    big = buyer.fake.build_document(OVER_LIMIT, "账单.pdf", "application/pdf")
    await buyer.feed(big)
    assert "太大" in buyer.last_text()
    await buyer.photo(JPEG)
    case_no = await submit(buyer)
    await download_all(harness)

    assert not requested(harness, sent_file_id(big))
    assert len(harness.api.downloads) == 1  # the photo only
    [kept] = await evidence_of(harness, case_no)
    assert kept.status is EvidenceStatus.STORED


async def refused_unmeasured(
    harness: BotHarness, content: bytes
) -> tuple[list[str], list[str]]:
    """Files a document whose message has no size; returns what staff and the buyer heard of it.

    The bot must learn the size from getFile and refuse the file without downloading it.
    """
    buyer = harness.user()
    await file_until(buyer, ORDER_NO, "evidence")
    big = buyer.fake.build_document(content, "账单.pdf", "application/pdf")
    del big["message"]["document"]["file_size"]  # Telegram may leave the size out
    await buyer.feed(big)
    case_no = await submit(buyer)
    await download_all(harness)

    assert requested(harness, sent_file_id(big))
    assert harness.api.downloads == []
    [refused] = await evidence_of(harness, case_no)
    assert refused.status is EvidenceStatus.REJECTED
    staff = [text for text in await staff_notices(harness) if case_no in text and "未保存" in text]
    told = [m.text for m in harness.api.sent_messages(buyer.fake.chat_id) if "未能保存" in m.text]
    return staff, told


async def test_a_file_of_unknown_size_over_telegrams_limit_is_refused_without_retrying(
    harness: BotHarness,
) -> None:
    """Telegram answers getFile for it with "file is too big"; asking again would not help."""
    [notice], [told] = await refused_unmeasured(harness, OVER_LIMIT)
    assert "20.0 MB" in notice
    assert len(harness.api.calls("getFile")) == 1
    assert "超过 20.0 MB 的大小上限，平台没有下载它" in told
    assert "不超过 20.0 MB 的文件" in told


async def test_files_are_judged_by_their_bytes_and_only_true_ones_are_kept(
    harness: BotHarness,
) -> None:
    buyer = harness.user()
    await file_until(buyer, ORDER_NO, "evidence")
    await buyer.document(PDF + b"1", "截图.jpg", "image/jpeg")  # a "JPEG" that is a PDF
    await buyer.document(EXE, "截图.png", "image/png")  # an executable posing as an image
    await buyer.photo(EXE + b"2")  # a photo whose bytes are an executable
    await buyer.document(PDF + b"<b>", "a.pdf", "image/<b>ZQX0</b>")  # markup in the MIME type
    await buyer.document(PDF + b"3", "付款凭证.pdf", "application/pdf")  # the one true file
    case_no = await submit(buyer)
    await download_all(harness)

    files = await evidence_of(harness, case_no)
    assert [f.status for f in files] == [EvidenceStatus.REJECTED] * 4 + [EvidenceStatus.STORED]
    stored = files[-1]
    assert stored.sha256 == hashlib.sha256(PDF + b"3").hexdigest()
    root = harness.deps.settings.evidence_dir
    assert sorted(p for p in root.rglob("*") if p.is_file()) == [evidence_path(root, stored.sha256)]
    notices = [text for text in await staff_notices(harness) if "未保存" in text]
    assert len(notices) == 4
    for notice in notices:
        assert markup_problems(notice) == []
    assert any("application/pdf" in n and "image/jpeg" in n for n in notices)
    assert any("application/x-msdownload" in n for n in notices)


async def test_names_the_sender_chose_never_become_paths(harness: BotHarness) -> None:
    buyer = harness.user()
    await file_until(buyer, ORDER_NO, "evidence")
    names = ("../../../../etc/passwd", "/etc/passwd", "..\\..\\boot.ini", "证据\x00/../x.pdf")
    for number, name in enumerate(names):
        await buyer.document(PDF + bytes([number]), name, "application/pdf")
    case_no = await submit(buyer)
    await download_all(harness)

    files = await evidence_of(harness, case_no)
    assert [f.status for f in files] == [EvidenceStatus.STORED] * len(names)
    root = harness.deps.settings.evidence_dir
    expected = {evidence_path(root, hashlib.sha256(PDF + bytes([n])).hexdigest()) for n in range(4)}
    outside = harness.deps.settings.evidence_dir.parent
    assert {p for p in root.rglob("*") if p.is_file()} == expected
    assert not any(p.name in ("passwd", "boot.ini", "x.pdf") for p in outside.rglob("*"))
    assert {Path(f.stored_path) for f in files if f.stored_path} == expected


async def test_a_size_getfile_reports_over_a_lower_limit_stops_the_download(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("max_evidence_bytes = 1_048_576\n", encoding="utf-8")
    settings = {"staff_chat_id": STAFF_GROUP, "policy_file": policy}
    async with bot_harness(tmp_path, fake_api, NOW, **settings) as harness:
        await harness.add_orders(order(ORDER_NO))
        [notice], [told] = await refused_unmeasured(harness, PDF + b"\x00" * 1_048_576)
        assert "1.0 MB" in notice
        assert "超过 1.0 MB 的大小上限" in told


async def test_supplementary_evidence_follows_the_same_rules(harness: BotHarness) -> None:
    """补充材料 after support asked for it: size before download, type by content."""
    buyer = harness.user()
    case_no = await file_until(buyer, ORDER_NO, "submitted")
    assert case_no is not None
    async with harness.deps.uow() as uow:
        await uow.staff.set_role(3001, "agent", NOW)
        await uow.commit()
    agent = Person(harness, harness.api.user(id=3001).in_chat(STAFF_GROUP, title="客服群"))
    await agent.send(f"/take {case_no}")
    await agent.send(f"/request {case_no} 请补充付款截图")
    await buyer.send(f"/evidence {case_no}")
    big = buyer.fake.build_document(OVER_LIMIT, "账单.pdf", "application/pdf")
    await buyer.feed(big)
    assert "太大" in buyer.last_text()
    await buyer.document(PDF + b"4", "截图.jpg", "image/jpeg")
    await buyer.click(f"b:evd:{case_no}")
    await download_all(harness)

    assert not requested(harness, sent_file_id(big))
    files = await evidence_of(harness, case_no)
    assert [f.status for f in files] == [EvidenceStatus.STORED, EvidenceStatus.REJECTED]
