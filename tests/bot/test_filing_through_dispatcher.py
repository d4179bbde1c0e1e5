"""The filing conversation through the real dispatcher, rendered and sent over HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import bootstrap_admins
from cases.model import CaseStatus, Order, OrderStatus
from sandbox.botapi import FakeBotAPI
from tests.bot.harness import BotHarness, Person, bot_harness

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # Thursday 11:00 in Shanghai
CASE_NO = re.compile(r"TS\d{8}-[0-9A-HJKMNP-TV-Z]{5}")
PHOTO = b"\xff\xd8\xff\xe0 fake jpeg bytes of a payment screenshot"


def order(order_no: str = "KM202611250001", **changes: object) -> Order:
    fields: dict[str, object] = {
        "order_no": order_no,
        "buyer_account": "lihua_88",
        "merchant_code": "M1001",
        "product": "Steam 充值卡 100元",
        "category": "game_card",
        "amount": 10000,
        "currency": "CNY",
        "paid_at": NOW - timedelta(days=1),
        "delivered_at": NOW - timedelta(days=1) + timedelta(minutes=2),
        "status": OrderStatus.DELIVERED,
    }
    fields.update(changes)
    return Order(**fields)  # type: ignore[arg-type]


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI):  # type: ignore[no-untyped-def]
    async with bot_harness(tmp_path, fake_api, NOW) as running:
        await running.add_orders(order())
        yield running


async def file_complaint(
    buyer: Person,
    order_no: str = "KM202611250001",
    description: str = "付款后一直没有收到充值卡，联系商家也没有回复。",
    photo: bytes = PHOTO,
) -> str:
    await buyer.send(f"/complain {order_no}")
    await buyer.send("LiHua_88")  # account names match case-insensitively
    await buyer.click("f:reason:not_delivered")
    await buyer.send(description)
    await buyer.photo(photo)
    await buyer.click("f:done")
    await buyer.click("f:refund:full")
    await buyer.click("f:method:original")
    await buyer.click("f:submit")
    found = CASE_NO.search(buyer.last_text())
    assert found, buyer.texts()[-3:]
    return found.group(0)


async def test_a_buyer_files_a_complaint_and_gets_a_case_number(harness: BotHarness) -> None:
    buyer = harness.user(language_code="zh-hans")
    case_no = await file_complaint(buyer)
    assert case_no.startswith("TS20261125-")  # the payment's local date
    # Review: 3 working days after Thursday 26 Nov → Fri 27, Mon 30, Tue 1 Dec.
    assert "2026-12-01" in buyer.last_text()
    async with harness.deps.uow() as uow:
        case = await uow.cases.get(case_no)
        events = await uow.events.list(case_no)
        evidence = await uow.evidence.list(case_no)
    assert case is not None
    assert case.status is CaseStatus.SUBMITTED
    assert case.buyer_id == buyer.id
    assert case.refund_amount == 10000
    assert [event.to_status for event in events] == [CaseStatus.SUBMITTED]
    assert len(evidence) == 1


async def test_the_evidence_photo_is_downloaded_into_the_evidence_dir(
    harness: BotHarness,
) -> None:
    buyer = harness.user()
    case_no = await file_complaint(buyer)
    assert await harness.download_evidence() == 1
    digest = hashlib.sha256(PHOTO).hexdigest()
    stored = harness.deps.settings.evidence_dir / digest[:2] / digest
    assert stored.read_bytes() == PHOTO
    async with harness.deps.uow() as uow:
        [evidence] = await uow.evidence.list(case_no)
    assert evidence.sha256 == digest


async def test_a_failed_download_is_retried_later_without_blocking_anything(
    harness: BotHarness,
) -> None:
    buyer = harness.user()
    await file_complaint(buyer)
    harness.api.fail_next("getFile", status=500)
    assert await harness.download_evidence() == 1
    assert await harness.download_evidence() == 0  # not due yet: backing off
    harness.clock.advance(timedelta(minutes=1))
    assert await harness.download_evidence() == 1
    digest = hashlib.sha256(PHOTO).hexdigest()
    assert (harness.deps.settings.evidence_dir / digest[:2] / digest).is_file()
    harness.api.clear()


async def test_the_same_update_delivered_twice_has_one_effect(harness: BotHarness) -> None:
    buyer = harness.user()
    await buyer.send("/complain KM202611250001")
    update = buyer.fake.build_text("lihua_88")
    await harness.feed(update)
    before = len(buyer.texts())
    await harness.feed(dict(update))
    assert len(buyer.texts()) == before


async def test_user_text_is_escaped_in_what_the_bot_sends(harness: BotHarness) -> None:
    buyer = harness.user(language_code="en")
    await buyer.send("/complain KM202611250001")
    await buyer.send("lihua_88")
    await buyer.click("f:reason:not_satisfied")  # the one reason that needs no file
    nasty = "<b>bold</b> & <a href='x'>link</a> never arrived"
    await buyer.send(nasty)
    await buyer.click("f:done")
    await buyer.click("f:refund:full")
    await buyer.click("f:method:balance")
    summary = buyer.messages()[-1]
    assert nasty in summary.plain_text
    assert "&lt;b&gt;bold&lt;/b&gt;" in summary.text


async def test_english_speakers_are_answered_in_english(harness: BotHarness) -> None:
    buyer = harness.user(user_id=2002, language_code="en")
    await buyer.send("/start")
    assert re.search(r"[A-Za-z]{4}", buyer.last_text())
    assert not re.search(r"[\u4e00-\u9fff]{2}", buyer.last_text())


async def test_a_sticker_mid_flow_gets_a_re_prompt(harness: BotHarness) -> None:
    buyer = harness.user()
    await buyer.send("/complain KM202611250001")
    count = len(buyer.texts())
    await buyer.feed(buyer.fake.build_sticker())
    assert len(buyer.texts()) > count


async def test_an_unknown_case_number_and_a_strangers_case_get_the_same_answer(
    harness: BotHarness,
) -> None:
    owner = harness.user(user_id=3003)
    case_no = await file_complaint(owner)
    stranger = harness.user(user_id=4004)
    await stranger.send(case_no)
    foreign = stranger.last_text()
    await stranger.send("TS20261125-ZZZZZ")
    unknown = stranger.last_text()
    assert foreign.replace(case_no, "#") == unknown.replace("TS20261125-ZZZZZ", "#")
    await owner.send(case_no)
    assert case_no in owner.last_text()


async def test_the_command_menu_is_published_in_both_languages(harness: BotHarness) -> None:
    from bot.commands import publish_commands

    await publish_commands(harness.bot, harness.deps.translator, "zh_CN")
    calls = harness.api.calls("setMyCommands")
    languages = {call.params.get("language_code") for call in calls}
    assert {"zh", "en", None} <= languages



async def test_an_album_arriving_at_once_keeps_every_file_and_is_acknowledged_once(
    harness: BotHarness,
) -> None:
    buyer = harness.user()
    await buyer.send("/complain KM202611250001")
    await buyer.send("lihua_88")
    await buyer.click("f:reason:not_delivered")
    await buyer.send("付款后一直没有收到充值卡，联系商家也没有回复。")
    before = len(buyer.texts())
    album = [
        buyer.fake.build_photo(PHOTO + bytes([n]), media_group_id="album-1") for n in range(3)
    ]
    # Polling runs updates as concurrent tasks; none of the three may be lost.
    await asyncio.gather(*(harness.feed(update) for update in album))
    assert len(buyer.texts()) == before + 1
    await buyer.click("f:done")
    await buyer.click("f:refund:full")
    await buyer.click("f:method:original")
    await buyer.click("f:submit")
    case_no = CASE_NO.search(buyer.last_text())
    assert case_no
    async with harness.deps.uow() as uow:
        assert len(await uow.evidence.list(case_no.group(0))) == 3


async def test_admin_ids_become_admins_who_may_look_up_any_case(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    async with bot_harness(tmp_path, fake_api, NOW, admin_ids=(777,)) as running:
        await running.add_orders(order())
        case_no = await file_complaint(running.user(user_id=1001))
        await bootstrap_admins(running.deps)
        admin = running.user(user_id=777)
        await admin.send(f"/status {case_no}")
        assert case_no in admin.last_text()
        assert "Steam" in admin.last_text() or "KM202611250001" in admin.last_text()


async def test_a_failure_inside_the_dialog_still_answers_and_loses_nothing(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    buyer = harness.user(language_code="en")
    await buyer.send("/complain KM202611250001")
    from dialogs import buyer as buyer_dialog

    async def broken(*_: object) -> list[object]:
        raise RuntimeError("a bug")

    with monkeypatch.context() as patch:
        patch.setattr(buyer_dialog, "handle", broken)
        await buyer.send("lihua_88")
    assert buyer.last_text().startswith("Sorry, something went wrong")
    await buyer.send("lihua_88")  # the draft survived: the same step answers normally
    assert "what went wrong" in buyer.last_text()


async def test_a_new_case_queues_its_notice_for_the_staff_chat_in_the_same_transaction(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    from sqlalchemy import text

    async with bot_harness(tmp_path, fake_api, NOW, staff_chat_id=-100777) as running:
        await running.add_orders(order())
        case_no = await file_complaint(running.user())
        async with running.deps.engine.connect() as connection:
            rows = (await connection.execute(text("SELECT chat_id, payload FROM outbox"))).all()
    staff_rows = [row for row in rows if row.chat_id == -100777]
    assert len(staff_rows) == 1
    assert case_no in str(staff_rows[0].payload)


async def test_a_buyer_who_writes_again_after_blocking_the_bot_gets_notices_again(
    harness: BotHarness,
) -> None:
    from tests.bot.outbox_support import blocked_chats

    buyer = harness.user()
    async with harness.deps.uow() as uow:
        await uow.outbox.block_chat(buyer.id, NOW, "Forbidden: bot was blocked by the user")
        await uow.commit()
    assert buyer.id in await blocked_chats(harness.deps.engine)
    await buyer.send("/start")
    assert buyer.id not in await blocked_chats(harness.deps.engine)


async def test_the_buyer_ticks_the_checklist_with_buttons_and_the_case_records_it(
    harness: BotHarness,
) -> None:
    buyer = harness.user(language_code="zh-hans")
    await buyer.send("/complain KM202611250001")
    await buyer.send("lihua_88")
    await buyer.click("f:reason:not_delivered")
    await buyer.send("付款后一直没有收到充值卡，联系商家也没有回复。")
    assert "☐ 账户页面截图（余额或充值记录）" in buyer.last_buttons()
    await buyer.photo(PHOTO)
    await buyer.click("f:tick:account_record")
    assert "☑ 账户页面截图（余额或充值记录）" in buyer.last_buttons()
    assert "还缺：充值账号 ID" in buyer.last_text()
    await buyer.click("f:done")
    await buyer.click("f:refund:full")
    await buyer.click("f:method:original")
    await buyer.click("f:submit")
    assert "清单上还缺：充值账号 ID" in buyer.last_text()
    found = CASE_NO.search(buyer.last_text())
    assert found
    async with harness.deps.uow() as uow:
        [submitted] = await uow.events.list(found.group(0))
    assert submitted.extra["checklist"] == "account_record:given,topup_account:missing"
