"""The dossier through the real bot: the buyer's button and the staff card's, built by its job,
uploaded through the outbox as a ZIP, and never handed to anyone the case is not theirs to see."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from bot.dossiers import DossierWorker
from bot.leases import LEASE
from cases.dossier import DOSSIER_JOB
from cases.model import MerchantLegal
from cases.workflow import Action
from dialogs.merchant import token_hash
from sandbox.botapi import FakeBotAPI
from tests.bot.harness import BotHarness, Person, bot_harness
from tests.bot.test_filing_through_dispatcher import NOW, PHOTO, file_complaint, order
from tests.bot.test_merchant_through_dispatcher import (
    AGENT,
    deliver_notices,
    forge_click,
    staff_moves,
)

STAFF_CHAT = -100778
LEGAL = MerchantLegal("星辰网络科技有限公司", "深圳市南山区科技园 1 号", "91440300708461136T")


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI):  # type: ignore[no-untyped-def]
    async with bot_harness(tmp_path, fake_api, NOW, staff_chat_id=STAFF_CHAT) as running:
        await running.add_orders(order(), order("KM202611250002", buyer_account="wang_99"))
        async with running.deps.uow() as uow:
            await uow.staff.set_role(AGENT, "agent", NOW)
            await uow.merchants.upsert("M1001", "星辰卡铺", NOW)
            await uow.merchants.set_bind_token("M1001", token_hash("t"), NOW)
            await uow.merchants.set_legal("M1001", LEGAL)
            await uow.commit()
        yield running


def documents(harness: BotHarness, chat_id: int) -> list[Any]:
    return [c for c in harness.api.calls("sendDocument") if int(c.params["chat_id"]) == chat_id]


async def sent_zips(harness: BotHarness, chat_id: int) -> list[zipfile.ZipFile]:
    """Runs the dossier job and the outbox; the ZIPs this sent to the chat."""
    before = len(documents(harness, chat_id))
    assert await DossierWorker(harness.deps, "test").run_once() == 1
    await deliver_notices(harness)
    uploads = [u for call in documents(harness, chat_id)[before:] for u in call.uploads.values()]
    return [zipfile.ZipFile(io.BytesIO(upload.content)) for upload in uploads]


async def test_a_buyer_gets_the_dossier_of_their_decided_case_as_a_zip(
    harness: BotHarness,
) -> None:
    buyer = harness.user(language_code="zh-hans")
    case_no = await file_complaint(buyer)
    assert await harness.download_evidence() == 1
    await staff_moves(harness, case_no, (Action.TAKE, ""), (Action.REJECT, "证据不足"))
    await deliver_notices(harness)
    assert any(f"b:dos:{case_no}" in m.callback_data for m in buyer.messages())
    await buyer.click(f"b:dos:{case_no}")
    assert "正在生成" in buyer.last_text()
    await forge_click(harness, buyer, f"b:dos:{case_no}")  # again at once: one dossier is built
    assert "每 10 分钟最多生成一次" in buyer.last_text()
    (archive,) = await sent_zips(harness, buyer.fake.chat_id)
    assert sorted(archive.namelist()) == [
        "README.txt", "events.json", "evidence/01.jpg", "state.json", "summary.pdf"
    ]
    assert archive.read("evidence/01.jpg") == PHOTO
    assert hashlib.sha256(PHOTO).hexdigest() in archive.read("state.json").decode()
    text = PdfReader(io.BytesIO(archive.read("summary.pdf"))).pages[0].extract_text()
    assert case_no in text
    assert "星辰网络科技有限公司" in text
    # Sent: the copy under DATA_DIR is gone.
    assert list((harness.deps.settings.data_dir / "dossiers").iterdir()) == []


async def test_a_buyer_cannot_get_another_buyers_dossier(harness: BotHarness) -> None:
    owner = harness.user(language_code="zh-hans")
    case_no = await file_complaint(owner)
    stranger = harness.user(1002, language_code="zh-hans")
    await stranger.send("/start")
    await forge_click(harness, stranger, f"b:dos:{case_no}")
    assert case_no in stranger.last_text()
    assert "正在生成" not in stranger.last_text()
    async with harness.deps.uow() as uow:
        assert await uow.jobs.claim_due(NOW, "peek", LEASE, 10, kinds=[DOSSIER_JOB]) == []


async def test_a_job_for_someone_elses_case_is_refused_when_it_runs(harness: BotHarness) -> None:
    owner = harness.user(language_code="zh-hans")
    case_no = await file_complaint(owner)
    stranger = harness.user(1002, language_code="zh-hans")
    async with harness.deps.uow() as uow:
        payload = {"case_no": case_no, "chat_id": stranger.fake.chat_id,
                   "user_id": stranger.id, "locale": "zh_CN", "audience": "buyer"}
        await uow.jobs.add(DOSSIER_JOB, NOW, payload)
        await uow.commit()
    assert await sent_zips(harness, stranger.fake.chat_id) == []
    assert "不能获取" in stranger.last_text()


async def test_staff_get_every_step_from_the_card_and_nothing_once_their_role_is_gone(
    harness: BotHarness,
) -> None:
    buyer = harness.user(language_code="zh-hans")
    case_no = await file_complaint(buyer)
    await staff_moves(harness, case_no, (Action.TAKE, ""), (Action.NOTE, "内部备注：再核实"))
    staff = harness.api.user(id=AGENT, first_name="agent", language_code="zh-hans")
    agent = Person(harness, staff.in_chat(STAFF_CHAT, "supergroup", title="客服群"))
    await agent.send(f"/case {case_no}")
    assert any(f"st:dos:{case_no}" in m.callback_data for m in agent.messages())
    await agent.click(f"st:dos:{case_no}")
    (archive,) = await sent_zips(harness, STAFF_CHAT)
    assert "内部备注：再核实" in archive.read("events.json").decode()
    harness.clock.advance(timedelta(minutes=10))  # a dossier per person and case every 10 min
    await agent.click(f"st:dos:{case_no}")  # queued while staff …
    async with harness.deps.uow() as uow:
        await uow.staff.remove(AGENT)  # … and no longer when it runs
        await uow.commit()
    assert await sent_zips(harness, STAFF_CHAT) == []
    assert "不能获取" in agent.last_text()


async def test_without_a_cjk_font_the_buyer_and_the_staff_chat_are_told_and_nothing_is_sent(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    async with bot_harness(
        tmp_path, fake_api, NOW, staff_chat_id=STAFF_CHAT, dossier_font=tmp_path / "none.ttc"
    ) as harness:
        await harness.add_orders(order())
        buyer = harness.user(language_code="zh-hans")
        case_no = await file_complaint(buyer)
        await forge_click(harness, buyer, f"b:dos:{case_no}")  # an open case: no button yet
        assert await sent_zips(harness, buyer.fake.chat_id) == []
        assert "缺少中文字体" in buyer.last_text()
        staff_texts = [m.plain_text for m in harness.api.sent_messages(STAFF_CHAT)]
        assert any(case_no in text and "DOSSIER_FONT" in text for text in staff_texts)
