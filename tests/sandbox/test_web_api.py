"""The web chat's HTTP API against a bare local Bot API, with aiogram's Bot playing the bot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiogram import Bot
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer

from cases.calendar import build_calendar
from sandbox.botapi import FakeBotAPI
from sandbox.clock import SandboxClock
from sandbox.handle import SandboxHandle
from sandbox.web import build_web_app

STAFF_CHAT = -100777
POST = {"X-Sandbox": "1"}
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01 a screenshot"


class Resets:
    def __init__(self, api: FakeBotAPI, clock: SandboxClock) -> None:
        self.api, self.clock, self.count = api, clock, 0

    async def __call__(self) -> None:
        self.count += 1
        self.api.forget_conversations()
        self.clock.reset()


@pytest.fixture
def handle(fake_api: FakeBotAPI) -> SandboxHandle:
    clock = SandboxClock(build_calendar("Asia/Shanghai"))
    return SandboxHandle(
        api=fake_api,
        buyer=fake_api.user(71, first_name="小明", username="buyer"),
        merchant=fake_api.user(72, first_name="星河数卡"),
        staff=fake_api.user(73, first_name="客服小李").in_chat(STAFF_CHAT, title="客服群"),
        staff_chat_id=STAFF_CHAT,
        clock=clock,
        on_reset=Resets(fake_api, clock),
    )


@pytest.fixture
async def client(handle: SandboxHandle) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(build_web_app(handle))) as test_client:
        yield test_client


async def state(client: TestClient[Any, Any], rev: str | None = None) -> dict[str, Any]:
    response = await client.get("/api/state", params={"rev": rev} if rev else {})
    assert response.status == 200
    return dict(await response.json())


def pane(snapshot: dict[str, Any], key: str) -> dict[str, Any]:
    [found] = [p for p in snapshot["panes"] if p["key"] == key]
    return dict(found)


async def post(client: TestClient[Any, Any], path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body, headers=POST)
    assert response.status == 200, await response.text()
    return dict(await response.json())


async def test_the_page_and_its_files_are_served_with_a_strict_content_policy(
    client: TestClient[Any, Any],
) -> None:
    page = await client.get("/")
    assert page.status == 200
    assert '<script src="/static/app.js"' in await page.text()
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    for asset in ("/static/app.js", "/static/app.css"):
        assert (await client.get(asset)).status == 200


async def test_texts_follow_the_browser_language(client: TestClient[Any, Any]) -> None:
    en = await (await client.get("/api/texts", headers={"Accept-Language": "en-US,en"})).json()
    zh = await (await client.get("/api/texts", headers={"Accept-Language": "zh-CN,zh"})).json()
    other = await (await client.get("/api/texts", headers={"Accept-Language": "fr"})).json()
    assert (en["locale"], zh["locale"], other["locale"]) == ("en", "zh_CN", "zh_CN")
    assert en["texts"]["reset"] == "Reset sandbox"
    assert zh["texts"]["reset"] == "重置沙盒"
    assert en["texts"].keys() == zh["texts"].keys()


async def test_a_bot_message_is_shown_with_telegram_formatting_and_nothing_else(
    client: TestClient[Any, Any], handle: SandboxHandle, fake_bot: Bot
) -> None:
    await fake_bot.send_message(
        handle.buyer.chat_id,
        '<b>案件</b> &lt;img src=x onerror=alert(1)&gt; <a href="javascript:alert(1)">x</a>',
        parse_mode="HTML",
    )
    [message] = pane(await state(client), "buyer")["messages"]
    assert message["from_bot"] is True
    assert message["html"] == "<b>案件</b> &lt;img src=x onerror=alert(1)&gt; x"


async def test_text_and_commands_are_sent_as_the_pane_s_person(
    client: TestClient[Any, Any], handle: SandboxHandle, fake_bot: Bot
) -> None:
    snapshot = await post(client, "/api/panes/buyer/send", {"text": "/complain KM1"})
    await post(client, "/api/panes/staff/send", {"text": "hello <b>"})
    updates = await fake_bot.get_updates(timeout=0)
    command, group_text = updates[0].message, updates[1].message
    assert command is not None
    assert group_text is not None
    assert command.text == "/complain KM1"
    assert command.entities is not None
    assert command.entities[0].type == "bot_command"
    assert command.from_user is not None
    assert command.from_user.id == handle.buyer.id
    assert group_text.chat.id == STAFF_CHAT
    assert group_text.from_user is not None
    assert group_text.from_user.id == handle.staff.id
    # The answer already shows the person's own message; the staff text is escaped.
    [mine] = pane(snapshot, "buyer")["messages"]
    assert (mine["html"], mine["from_bot"]) == ("/complain KM1", False)
    assert pane(await state(client), "staff")["messages"][0]["html"] == "hello &lt;b&gt;"


async def test_an_inline_button_press_reaches_the_bot_and_its_alert_is_shown(
    client: TestClient[Any, Any], handle: SandboxHandle, fake_bot: Bot
) -> None:
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="接单", callback_data="s:take:1")]]
    )
    sent = await fake_bot.send_message(STAFF_CHAT, "新投诉", reply_markup=markup)
    [message] = pane(await state(client), "staff")["messages"]
    assert message["inline_keyboard"] == [[{"text": "接单", "data": "s:take:1"}]]

    body = {"message_id": sent.message_id, "data": "s:take:1"}
    await post(client, "/api/panes/staff/press", body)
    [update] = await fake_bot.get_updates(timeout=0)
    assert update.callback_query is not None
    assert update.callback_query.data == "s:take:1"
    assert update.callback_query.from_user.id == handle.staff.id
    await fake_bot.answer_callback_query(update.callback_query.id, "已被接手", show_alert=True)
    alerts = pane(await state(client), "staff")["alerts"]
    assert alerts == [{"id": update.callback_query.id, "text": "已被接手", "alert": True}]

    # A button the message does not show cannot be pressed, nor one in another chat.
    forged = {"message_id": sent.message_id, "data": "s:approve:1"}
    assert (await client.post("/api/panes/staff/press", json=forged, headers=POST)).status == 409
    elsewhere = await client.post("/api/panes/buyer/press", json=body, headers=POST)
    assert elsewhere.status == 409


async def test_a_reply_keyboard_is_shown_until_removed_and_sends_its_text(
    client: TestClient[Any, Any], handle: SandboxHandle, fake_bot: Bot
) -> None:
    keyboard = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="是"), KeyboardButton(text="否")]]
    )
    await fake_bot.send_message(handle.merchant.chat_id, "同意吗？", reply_markup=keyboard)
    assert pane(await state(client), "merchant")["reply_keyboard"] == [
        [{"text": "是"}, {"text": "否"}]
    ]
    await post(client, "/api/panes/merchant/key", {"text": "是"})
    [update] = await fake_bot.get_updates(timeout=0)
    assert update.message is not None
    assert update.message.text == "是"
    await fake_bot.send_message(handle.merchant.chat_id, "好", reply_markup=ReplyKeyboardRemove())
    assert pane(await state(client), "merchant")["reply_keyboard"] is None


async def test_a_one_time_keyboard_goes_once_pressed_and_a_contact_button_shares_the_contact(
    client: TestClient[Any, Any], handle: SandboxHandle, fake_bot: Bot
) -> None:
    share = KeyboardButton(text="分享手机号", request_contact=True)
    keyboard = ReplyKeyboardMarkup(keyboard=[[share]], one_time_keyboard=True)
    await fake_bot.send_message(handle.buyer.chat_id, "请分享手机号", reply_markup=keyboard)
    shown = pane(await state(client), "buyer")["reply_keyboard"]
    assert shown == [[{"text": "分享手机号", "asks": "contact"}]]

    pressed = await post(client, "/api/panes/buyer/key", {"text": "分享手机号", "asks": "contact"})
    assert pane(pressed, "buyer")["reply_keyboard"] is None
    [update] = await fake_bot.get_updates(timeout=0)
    assert update.message is not None
    assert update.message.contact is not None
    assert update.message.contact.user_id == handle.buyer.id


async def test_photos_and_documents_upload_preview_and_download(
    client: TestClient[Any, Any], handle: SandboxHandle
) -> None:
    photo = FormData()
    photo.add_field("file", JPEG, filename="shot.jpg", content_type="image/jpeg")
    photo.add_field("caption", "卡密截图")
    assert (await client.post("/api/panes/buyer/upload", data=photo, headers=POST)).status == 200
    page = FormData()
    page.add_field("file", b"<html><script>alert(1)</script>", filename="x.html")
    assert (await client.post("/api/panes/buyer/upload", data=page, headers=POST)).status == 200

    shot, html_file = pane(await state(client), "buyer")["messages"]
    assert shot["html"] == "卡密截图"
    assert handle.buyer.bot_messages() == []
    stored = handle.api.state.get_message(handle.buyer.chat_id, shot["id"])
    assert stored is not None
    assert "photo" in stored
    preview = await client.get(f"/api/files/{shot['photo']['file_id']}")
    assert preview.content_type == "image/jpeg"
    assert preview.headers["Content-Disposition"].startswith("inline")
    assert await preview.read() == JPEG

    assert html_file["file"]["name"] == "x.html"
    download = await client.get(f"/api/files/{html_file['file']['file_id']}")
    assert download.content_type == "application/octet-stream"  # never rendered as a page
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in download.headers["Content-Security-Policy"]
    assert (await client.get("/api/files/nope")).status == 404


async def test_a_waiting_page_hears_an_edit_and_a_deletion_within_a_second(
    client: TestClient[Any, Any], handle: SandboxHandle, fake_bot: Bot
) -> None:
    sent = await fake_bot.send_message(handle.buyer.chat_id, "处理中")
    before = await state(client)

    async def edit_soon() -> None:
        await asyncio.sleep(0.3)
        await fake_bot.edit_message_text(
            "<i>已退款</i>",
            chat_id=handle.buyer.chat_id,
            message_id=sent.message_id,
            parse_mode="HTML",
        )

    started = time.monotonic()
    editing = asyncio.create_task(edit_soon())
    after = await state(client, before["rev"])
    await editing
    assert time.monotonic() - started < 1.5
    [message] = pane(after, "buyer")["messages"]
    assert (message["html"], message["edited"]) == ("<i>已退款</i>", True)

    waiting = asyncio.create_task(state(client, after["rev"]))
    await asyncio.sleep(0.2)
    await fake_bot.delete_message(handle.buyer.chat_id, sent.message_id)
    assert pane(await asyncio.wait_for(waiting, 1.5), "buyer")["messages"] == []


async def test_the_clock_moves_by_hours_or_working_days_and_never_back(
    client: TestClient[Any, Any], handle: SandboxHandle
) -> None:
    moved = await post(client, "/api/clock", {"hours": 3})
    assert moved["clock"]["offset_seconds"] == 3 * 3600
    assert moved["clock"]["timezone"] == "Asia/Shanghai"
    await post(client, "/api/clock", {"working_days": 1})
    assert handle.clock.offset > timedelta(hours=3)
    for bad in ({"hours": -1}, {"hours": 0}, {"working_days": 0}, {"working_days": 1.5}, {}):
        assert (await client.post("/api/clock", json=bad, headers=POST)).status == 400


async def test_reset_calls_the_sandbox_and_shows_empty_chats(
    client: TestClient[Any, Any], handle: SandboxHandle
) -> None:
    await post(client, "/api/panes/buyer/send", {"text": "hi"})
    await post(client, "/api/clock", {"hours": 5})
    snapshot = await post(client, "/api/reset", {})
    assert handle.on_reset.count == 1  # type: ignore[attr-defined]
    assert all(p["messages"] == [] for p in snapshot["panes"])
    assert snapshot["clock"]["offset_seconds"] == 0


async def test_other_sites_cannot_act_and_bad_requests_are_refused(
    client: TestClient[Any, Any],
) -> None:
    # A page on another site can send neither without the browser asking this server first.
    assert (await client.post("/api/reset", json={})).status == 403
    as_form = await client.post("/api/panes/buyer/send", data={"text": "x"}, headers=POST)
    assert as_form.status == 415
    unknown = await client.post("/api/panes/nobody/send", json={"text": "x"}, headers=POST)
    assert unknown.status == 404
    empty = await client.post("/api/panes/buyer/send", json={"text": " "}, headers=POST)
    assert empty.status == 400
    # A site whose name was pointed at 127.0.0.1 would be same-origin: refused by its name.
    rebound = {"Host": "evil.example:8080", **POST}
    assert (await client.get("/api/state", headers=rebound)).status == 403
    assert (await client.post("/api/reset", json={}, headers=rebound)).status == 403
    assert (await client.get("/api/state", headers={"Host": "localhost:8080"})).status == 200
