"""An executable sent as a "PDF" is judged by its bytes, not kept, and buyer and staff are told."""

from __future__ import annotations

from pathlib import Path

import pytest

from cases.model import EvidenceStatus
from sandbox.botapi import FakeBotAPI
from tests.bot.harness import BotHarness, bot_harness
from tests.bot.outbox_support import VirtualTime, deliver_all, make_sender
from tests.bot.test_filing_through_dispatcher import CASE_NO, NOW, order

STAFF_CHAT = -100_4242
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120  # a Windows executable's header


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI):  # type: ignore[no-untyped-def]
    async with bot_harness(tmp_path, fake_api, NOW, staff_chat_id=STAFF_CHAT) as running:
        await running.add_orders(order())
        yield running


async def test_an_executable_declared_as_pdf_is_not_stored_and_buyer_and_staff_hear_why(
    harness: BotHarness,
) -> None:
    buyer = harness.user()
    await buyer.send("/complain KM202611250001")
    await buyer.send("lihua_88")
    await buyer.click("f:reason:not_delivered")
    await buyer.send("付款后一直没有收到充值卡，联系商家也没有回复。")
    await buyer.document(EXE, "付款凭证.pdf", "application/pdf")
    await buyer.click("f:done")
    await buyer.click("f:refund:full")
    await buyer.click("f:method:original")
    await buyer.click("f:submit")
    found = CASE_NO.search(buyer.last_text())
    assert found, buyer.texts()[-3:]
    case_no = found.group(0)

    assert await harness.download_evidence() == 1

    evidence_dir = harness.deps.settings.evidence_dir
    assert not evidence_dir.exists() or not any(p.is_file() for p in evidence_dir.rglob("*"))
    async with harness.deps.uow() as uow:
        [evidence] = await uow.evidence.list(case_no)
    assert evidence.sha256 is None
    assert evidence.status is EvidenceStatus.REJECTED
    time = VirtualTime(harness.clock)
    await deliver_all(make_sender(harness.deps, harness.bot, "w1", time), harness.deps.engine, time)
    notices = [m.plain_text for m in harness.api.sent_messages(STAFF_CHAT)]
    [refused] = [text for text in notices if "未保存" in text]
    assert case_no in refused
    assert "application/pdf" in refused
    assert "application/x-msdownload" in refused
    assert "已告知买家" in refused

    # The buyer is told too, which file it was and what to send instead: the case is in
    # review, so they learn that support can ask for it, not a command that would refuse them.
    buyer_messages = harness.api.sent_messages(buyer.fake.chat_id)
    [told] = [m for m in buyer_messages if "未能保存" in m.plain_text]
    assert case_no in told.plain_text
    assert "第 1/1 个证据（文件“付款凭证.pdf”）的内容与文件类型不符" in told.plain_text
    assert "原始的截图、照片、MP4 视频、PDF 或文本文件" in told.plain_text
    assert "客服要求补充材料时" in told.plain_text
