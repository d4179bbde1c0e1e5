"""The sandbox in process: demo set-up, a complaint seen by staff, the clock timing out, reset."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.cli import Console
from bot.config import Settings
from sandbox.botapi import ApiCall, FakeBotAPI, FakeUser
from sandbox.runner import (
    CHATS_FILE,
    DEMO_MERCHANT_CODE,
    MERCHANT_ID,
    STAFF_CHAT_ID,
    STAFF_ID,
    Sandbox,
    run_sandbox,
)
from storage.db import make_engine, make_session_factory
from storage.uow import SqlUnitOfWork
from tests.sandbox.test_chats_keeper import kept_texts, until

CASE_NO = re.compile(r"TS\d{8}-[0-9A-HJKMNP-TV-Z]{5}")
# The demo merchant's newest card-code order (demo/orders.csv), paid an hour "ago" after import.
ORDER_NO = "KM202611200012"
BUYER_ACCOUNT = "zhangwei_2020"
PHOTO = b"\x89PNG\r\n\x1a\n a screenshot of the used card code"
STEP = 10.0


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    settings = Settings(_env_file=None, data_dir=tmp_path, log_level="INFO")  # type: ignore[call-arg]
    running = Sandbox(settings)
    await running.start()
    try:
        await running.api.wait_for_poll(timeout=20)
        yield running
    finally:
        await running.close()
    running.api.assert_no_unexpected_calls()


async def heard(api: FakeBotAPI, chat_id: int, phrase: str, *, after: int) -> str:
    """Waits for a message (sent or edited) to `chat_id` containing `phrase`; returns its text."""

    def said(call: ApiCall) -> bool:
        if not call.ok or str(call.params.get("chat_id")) != str(chat_id):
            return False
        return phrase in str(call.params.get("text", "")) + str(call.params.get("caption", ""))

    call = await api.wait_for(said, timeout=STEP, after=after)
    return str(call.params.get("text") or call.params.get("caption"))


async def step(api: FakeBotAPI, user: FakeUser, action: object, phrase: str) -> str:
    mark = api.mark()
    await action  # type: ignore[misc]
    return await heard(api, user.chat_id, phrase, after=mark)


async def file_complaint(s: Sandbox) -> str:
    api, buyer = s.api, s.handle.buyer
    await step(api, buyer, buyer.send_command("complain", ORDER_NO), "平台账号")
    await step(api, buyer, buyer.send_text(BUYER_ACCOUNT), "请选择投诉原因")
    await step(api, buyer, buyer.click("f:reason:card_invalid"), "请用文字描述")
    await step(api, buyer, buyer.send_text("卡密显示已被使用，无法兑换会员，请退款。"), "上传证据")
    await step(api, buyer, buyer.send_photo(PHOTO), "已收到第 1 个文件")
    await step(api, buyer, buyer.click("f:done"), "本订单最多可退")
    await step(api, buyer, buyer.click("f:refund:full"), "退款退到哪里")
    await step(api, buyer, buyer.click("f:method:original"), "请核对投诉信息")
    mark = api.mark()
    await buyer.click("f:submit")
    done = await heard(api, buyer.chat_id, "投诉已提交", after=mark)
    found = CASE_NO.search(done)
    assert found, done
    case_no = found.group(0)
    await heard(api, STAFF_CHAT_ID, case_no, after=mark)
    return case_no


async def database_counts(s: Sandbox) -> tuple[int, int, int | None, str | None]:
    """(orders, cases, the demo merchant's bound user, the staff user's role) in the database."""
    engine = make_engine(s.bot_settings().resolved_database_url)
    try:
        async with engine.connect() as connection:
            orders = (await connection.execute(text("SELECT count(*) FROM orders"))).scalar_one()
            cases = (await connection.execute(text("SELECT count(*) FROM cases"))).scalar_one()
        async with SqlUnitOfWork(make_session_factory(engine)) as uow:
            merchant = await uow.merchants.get(DEMO_MERCHANT_CODE)
            role = await uow.staff.role_of(STAFF_ID)
    finally:
        await engine.dispose()
    return orders, cases, merchant.telegram_user_id if merchant else None, role


async def test_first_start_sets_the_demo_up(sandbox: Sandbox) -> None:
    assert await database_counts(sandbox) == (12, 0, MERCHANT_ID, "admin")
    assert sandbox.handle.staff.chat_id == STAFF_CHAT_ID == sandbox.handle.staff_chat_id
    assert sandbox.bot_settings().staff_chat_id == STAFF_CHAT_ID
    assert sandbox.api.base_url.startswith("http://127.0.0.1:")


async def test_a_buyer_complains_the_staff_group_sees_it_and_two_working_days_time_the_merchant_out(
    sandbox: Sandbox,
) -> None:
    api, handle = sandbox.api, sandbox.handle
    case_no = await file_complaint(sandbox)
    mark = api.mark()
    await handle.staff.click("转商家处理")
    await heard(api, MERCHANT_ID, "前答复", after=mark)

    mark = api.mark()
    handle.clock.advance_working_days(2)
    told_merchant = await heard(api, MERCHANT_ID, "您没有在期限内答复这条投诉", after=mark)
    assert case_no in told_merchant
    await heard(api, handle.buyer.chat_id, "商家没有在期限内答复", after=mark)
    # The outcome is dated on the sandbox's clock, two working days ahead.
    [outcome] = [
        m for m in api.state.bot_messages(MERCHANT_ID) if "您没有在期限内答复" in m.get("text", "")
    ]
    assert outcome["date"] >= int(handle.clock.now().timestamp()) - 60
    assert handle.clock.offset > timedelta(days=1)


async def test_reset_starts_over_with_the_same_people_and_a_working_bot(sandbox: Sandbox) -> None:
    api, handle = sandbox.api, sandbox.handle
    await file_complaint(sandbox)
    handle.clock.advance(timedelta(hours=5))
    buyer_before = handle.buyer

    await handle.reset()

    assert await database_counts(sandbox) == (12, 0, MERCHANT_ID, "admin")
    assert handle.clock.offset == timedelta(0)
    assert api.state.chat_messages(handle.buyer.chat_id) == []
    assert api.state.chat_messages(STAFF_CHAT_ID) == []
    assert handle.buyer is buyer_before
    await api.wait_for_poll(timeout=20)
    # The bot runs again on the fresh database: the order is open to a complaint once more.
    await step(api, handle.buyer, handle.buyer.send_command("complain", ORDER_NO), "平台账号")


async def test_a_restart_keeps_the_time_the_data_and_the_chats_and_the_bot_still_hears_the_buyer(
    tmp_path: Path,
) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    first = Sandbox(settings)
    await first.start()
    try:
        await first.api.wait_for_poll(timeout=20)
        buyer = first.handle.buyer
        await step(first.api, buyer, buyer.send_command("start"), "")
        photo = await buyer.send_photo(PHOTO)
        file_id = photo["message"]["photo"][-1]["file_id"]
        first.clock.advance(timedelta(hours=30))
    finally:
        await first.close()
    chats_before = first.api.state.chat_messages(first.handle.buyer.chat_id)

    again = Sandbox(settings)
    await again.start()
    try:
        await again.api.wait_for_poll(timeout=20)
        assert again.clock.offset == timedelta(hours=30)
        assert await database_counts(again) == (12, 0, MERCHANT_ID, "admin")
        # The chats as they were, files included, and new messages numbered after them.
        assert again.api.state.chat_messages(again.handle.buyer.chat_id) == chats_before
        kept = again.api.state.files.get(file_id)
        assert kept is not None
        assert kept.content == PHOTO
        last_id = chats_before[-1]["message_id"]
        # Update ids go on from the last one the bot stored, so the inbox takes the new ones.
        await step(
            again.api, again.handle.buyer, again.handle.buyer.send_command("complain", ORDER_NO),
            "平台账号",
        )
        newest = again.api.state.chat_messages(again.handle.buyer.chat_id)[-1]
        assert newest["message_id"] > last_id
    finally:
        await again.close()
    again.api.assert_no_unexpected_calls()


async def test_the_chats_are_on_disk_as_they_change_not_only_at_a_clean_stop(
    sandbox: Sandbox,
) -> None:
    buyer = sandbox.handle.buyer
    await step(sandbox.api, buyer, buyer.send_command("start"), "")
    chat = [m.get("text", "") for m in sandbox.api.state.chat_messages(buyer.chat_id)]
    assert len(chat) == 2  # the command and the bot's answer
    path = sandbox.directory / CHATS_FILE
    # The sandbox still runs: a kill now would find both in the file.
    await until(lambda: set(chat) <= set(kept_texts(path)), within=STEP)


async def test_a_busy_port_is_told_with_the_setting_that_moves_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, data_dir=tmp_path, sandbox_port=port, default_locale="en"
        )
        assert await run_sandbox(settings, Console(settings)) == 2
    error = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in error
    assert "SANDBOX_PORT" in error
