"""The fake Bot API behaves like Telegram for the real aiogram Bot, poller and dispatcher."""

from __future__ import annotations

import asyncio
import io
import time

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
)

from sandbox.botapi import FakeBotAPI, FakeUser, NoSuchButton
from sandbox.botapi.session import LocalAiohttpSession

STAFF_GROUP = -1001234567890


def keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d)] for t, d in buttons]
    )


@pytest.fixture
def buyer(fake_api: FakeBotAPI) -> FakeUser:
    return fake_api.user(id=1001, first_name="小明", username="xiaoming")


async def test_get_me_answers_with_the_configured_bot(fake_bot: Bot) -> None:
    me = await fake_bot.get_me()

    assert (me.id, me.username, me.is_bot) == (123, "complaint_test_bot", True)


async def test_a_wrong_token_is_unauthorized_and_recorded_as_unexpected(
    fake_api: FakeBotAPI,
) -> None:
    session = LocalAiohttpSession(api=TelegramAPIServer.from_base(fake_api.base_url))
    async with Bot("999:OTHER", session=session) as stranger:
        with pytest.raises(TelegramUnauthorizedError):
            await stranger.get_me()

    assert [c.status for c in fake_api.unexpected_calls] == [401]
    fake_api.clear()


async def test_sent_message_is_returned_as_a_message_and_recorded(
    fake_api: FakeBotAPI, fake_bot: Bot, buyer: FakeUser
) -> None:
    markup = keyboard(("确认", "confirm"), ("取消", "cancel"))

    first = await fake_bot.send_message(
        buyer.chat_id, "订单 <b>A1</b> &lt;ok&gt;", parse_mode="HTML", reply_markup=markup
    )
    second = await fake_bot.send_message(buyer.chat_id, "第二条")

    assert (first.message_id, second.message_id) == (1, 2)
    assert first.chat.id == buyer.chat_id
    assert first.text == "订单 A1 <ok>"
    assert first.entities is not None
    assert first.entities[0].type == "bold"
    assert first.html_text == "订单 <b>A1</b> &lt;ok&gt;"
    assert first.reply_markup is not None
    assert first.reply_markup.model_dump() == markup.model_dump()
    sent = fake_api.sent_messages(buyer.chat_id)
    assert [m.text for m in sent] == ["订单 <b>A1</b> &lt;ok&gt;", "第二条"]
    assert sent[0].plain_text == "订单 A1 <ok>"
    assert sent[0].buttons == ["确认", "取消"]
    assert sent[0].callback_data == ["confirm", "cancel"]


async def test_message_ids_count_per_chat_and_include_the_users_messages(
    fake_api: FakeBotAPI, fake_bot: Bot, buyer: FakeUser
) -> None:
    await buyer.send_text("你好")  # message 1 in the buyer's chat
    in_buyer_chat = await fake_bot.send_message(buyer.chat_id, "hi")
    in_group = await fake_bot.send_message(STAFF_GROUP, "staff")

    assert (in_buyer_chat.message_id, in_group.message_id) == (2, 1)
    assert in_group.chat.type == "supergroup"


async def test_unescaped_html_is_rejected_like_telegram_does(
    fake_bot: Bot, buyer: FakeUser
) -> None:
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await fake_bot.send_message(buyer.chat_id, "price < 5 <script>", parse_mode="HTML")


async def test_reply_keyboards_are_recorded_but_not_echoed(
    fake_api: FakeBotAPI, fake_bot: Bot, buyer: FakeUser
) -> None:
    reply_keyboard = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="/status")]])

    message = await fake_bot.send_message(buyer.chat_id, "菜单", reply_markup=reply_keyboard)

    assert message.reply_markup is None  # Telegram only echoes inline keyboards
    assert fake_api.sent_messages(buyer.chat_id)[0].buttons == ["/status"]


async def test_edits_change_the_message_and_unchanged_edits_fail(
    fake_api: FakeBotAPI, fake_bot: Bot, buyer: FakeUser
) -> None:
    sent = await fake_bot.send_message(buyer.chat_id, "old", reply_markup=keyboard(("A", "a")))

    edited = await fake_bot.edit_message_text(
        "new", chat_id=buyer.chat_id, message_id=sent.message_id, reply_markup=keyboard(("B", "b"))
    )
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await fake_bot.edit_message_reply_markup(
            chat_id=buyer.chat_id, message_id=sent.message_id, reply_markup=keyboard(("B", "b"))
        )
    await fake_bot.edit_message_reply_markup(chat_id=buyer.chat_id, message_id=sent.message_id)

    assert isinstance(edited, Message)
    assert edited.text == "new"
    assert edited.edit_date is not None
    assert [(m.method, m.text) for m in fake_api.sent_messages(buyer.chat_id)] == [
        ("sendMessage", "old"),
        ("editMessageText", "new"),
    ]
    with pytest.raises(NoSuchButton):
        buyer.build_click("B")  # the keyboard was removed by the last edit


async def test_long_poll_waits_and_returns_as_soon_as_an_update_is_queued(
    fake_api: FakeBotAPI, fake_bot: Bot, buyer: FakeUser
) -> None:
    poll = asyncio.create_task(fake_bot.get_updates(timeout=10))
    await fake_api.wait_for_poll()
    assert not poll.done()

    started = time.monotonic()
    await buyer.send_text("有人吗")
    updates = await asyncio.wait_for(poll, timeout=1)

    assert time.monotonic() - started < 0.5
    assert [u.message.text for u in updates if u.message] == ["有人吗"]


async def test_long_poll_with_nothing_queued_answers_empty_after_its_timeout(
    fake_api: FakeBotAPI,
) -> None:
    url = f"{fake_api.base_url}/bot{fake_api.token}/getUpdates"
    started = time.monotonic()
    async with aiohttp.ClientSession() as http, http.post(url, data={"timeout": "0.3"}) as resp:
        body = await resp.json()

    assert 0.3 <= time.monotonic() - started < 0.9
    assert body == {"ok": True, "result": []}


async def test_offset_confirms_earlier_updates_and_limit_caps_the_batch(
    fake_bot: Bot, buyer: FakeUser
) -> None:
    for text in ("一", "二", "三"):
        await buyer.send_text(text)

    everything = await fake_bot.get_updates()
    first_two = await fake_bot.get_updates(limit=2)
    after_first = await fake_bot.get_updates(offset=everything[0].update_id + 1)
    after_all = await fake_bot.get_updates(offset=everything[-1].update_id + 1)

    assert len(everything) == 3
    assert [u.update_id for u in first_two] == [u.update_id for u in everything[:2]]
    assert [u.message.text for u in after_first if u.message] == ["二", "三"]
    assert after_all == []


async def test_allowed_updates_drop_the_types_the_bot_did_not_ask_for(
    fake_bot: Bot, buyer: FakeUser
) -> None:
    await fake_bot.send_message(buyer.chat_id, "选择", reply_markup=keyboard(("好", "ok")))
    await buyer.click("好")
    await buyer.send_text("文字")

    updates = await fake_bot.get_updates(allowed_updates=["message"])

    assert [u.event_type for u in updates] == ["message"]


async def test_a_second_poller_ends_the_first_with_a_conflict(
    fake_api: FakeBotAPI, fake_bot: Bot
) -> None:
    first = asyncio.create_task(fake_bot.get_updates(timeout=10))
    await fake_api.wait_for_poll()
    second = asyncio.create_task(fake_bot.get_updates(timeout=1))

    with pytest.raises(TelegramConflictError):
        await asyncio.wait_for(first, timeout=1)
    second.cancel()


async def test_get_updates_conflicts_with_an_active_webhook(fake_bot: Bot) -> None:
    await fake_bot.set_webhook("https://bot.example.com/hook", secret_token="s3cret")
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await fake_bot.get_updates()

    await fake_bot.delete_webhook(drop_pending_updates=True)
    assert await fake_bot.get_updates() == []


async def test_user_photo_can_be_fetched_and_downloaded_by_the_bot(
    fake_api: FakeBotAPI, fake_bot: Bot, buyer: FakeUser
) -> None:
    content = b"\xff\xd8\xff\xe0 fake jpeg payment proof"
    update = Update.model_validate(await buyer.send_photo(content, caption="付款截图"))
    again = buyer.build_photo(content)["message"]["photo"]

    assert update.message is not None
    assert update.message.photo is not None
    largest = update.message.photo[-1]
    file = await fake_bot.get_file(largest.file_id)
    downloaded = await fake_bot.download(largest.file_id)

    assert file.file_path is not None
    assert file.file_size == len(content)
    assert isinstance(downloaded, io.BytesIO)
    assert downloaded.getvalue() == content
    assert again[-1]["file_unique_id"] == largest.file_unique_id  # same bytes, same unique id
    assert again[-1]["file_id"] != largest.file_id
    assert fake_api.downloads == [file.file_path]


async def test_unknown_file_id_is_a_bad_request(fake_bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="invalid file_id"):
        await fake_bot.get_file("no-such-file")


async def test_files_the_bot_uploads_are_stored_and_can_be_sent_again(
    fake_api: FakeBotAPI, fake_bot: Bot, buyer: FakeUser
) -> None:
    sent = await fake_bot.send_document(
        buyer.chat_id, BufferedInputFile(b"%PDF-1.4 ruling", filename="ruling.pdf")
    )
    assert sent.document is not None
    resent = await fake_bot.send_document(STAFF_GROUP, sent.document.file_id, caption="裁决书")
    album = await fake_bot.send_media_group(
        buyer.chat_id,
        [
            InputMediaPhoto(media=BufferedInputFile(b"one", filename="1.jpg")),
            InputMediaPhoto(media=BufferedInputFile(b"two", filename="2.jpg"), caption="二"),
        ],
    )

    stored = fake_api.state.files.get(sent.document.file_id)
    assert stored is not None
    assert (stored.content, stored.file_name, stored.origin) == (
        b"%PDF-1.4 ruling",
        "ruling.pdf",
        "bot",
    )
    assert resent.document is not None
    assert resent.document.file_id == sent.document.file_id
    assert resent.caption == "裁决书"
    assert len({m.media_group_id for m in album}) == 1
    assert [m.caption for m in album] == [None, "二"]
    upload = next(iter(fake_api.calls("sendDocument")[0].uploads.values()))
    assert upload.content == b"%PDF-1.4 ruling"


async def test_copy_and_forward_a_users_evidence_to_the_staff_group(
    fake_api: FakeBotAPI, fake_bot: Bot, buyer: FakeUser
) -> None:
    evidence = (await buyer.send_document(b"chat log", "chat.txt", "text/plain"))["message"]

    copied = await fake_bot.copy_message(STAFF_GROUP, buyer.chat_id, evidence["message_id"])
    forwarded = await fake_bot.forward_message(STAFF_GROUP, buyer.chat_id, evidence["message_id"])

    copy = fake_api.state.get_message(STAFF_GROUP, copied.message_id)
    assert copy is not None
    assert copy["document"] == evidence["document"]
    assert forwarded.forward_origin is not None
    assert forwarded.document is not None
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await fake_bot.copy_message(STAFF_GROUP, buyer.chat_id, 999)


async def test_429_surfaces_as_retry_after_and_the_next_call_goes_through(
    fake_api: FakeBotAPI, fake_bot: Bot, buyer: FakeUser
) -> None:
    fake_api.fail_next("sendMessage", status=429, retry_after=3)

    with pytest.raises(TelegramRetryAfter) as raised:
        await fake_bot.send_message(buyer.chat_id, "催办")
    await fake_bot.send_message(buyer.chat_id, "催办")

    assert raised.value.retry_after == 3
    assert [c.status for c in fake_api.calls("sendMessage")] == [429, 200]
    assert len(fake_api.sent_messages(buyer.chat_id)) == 1


async def test_403_from_injection_and_from_a_blocked_chat(
    fake_api: FakeBotAPI, fake_bot: Bot, buyer: FakeUser
) -> None:
    fake_api.fail_next(
        "sendMessage", status=403, description="Forbidden: bot was blocked by the user"
    )
    with pytest.raises(TelegramForbiddenError, match="blocked"):
        await fake_bot.send_message(buyer.chat_id, "通知")

    fake_api.block(buyer.chat_id)
    with pytest.raises(TelegramForbiddenError, match="blocked by the user"):
        await fake_bot.send_message(buyer.chat_id, "通知")
    await fake_bot.send_message(STAFF_GROUP, "其他聊天不受影响")


async def test_server_errors_delays_and_dropped_connections(
    fake_api: FakeBotAPI, fake_bot: Bot, buyer: FakeUser
) -> None:
    fake_api.fail_next("sendMessage", status=502)
    with pytest.raises(TelegramServerError):
        await fake_bot.send_message(buyer.chat_id, "x")

    fake_api.disconnect_next("sendMessage")
    with pytest.raises(TelegramNetworkError):
        await fake_bot.send_message(buyer.chat_id, "x")

    fake_api.delay("sendMessage", 0.2)
    started = time.monotonic()
    await fake_bot.send_message(buyer.chat_id, "slow")
    assert time.monotonic() - started >= 0.2


async def test_unknown_methods_answer_404_and_are_recorded_as_unexpected(
    fake_api: FakeBotAPI, fake_bot: Bot, buyer: FakeUser
) -> None:
    with pytest.raises(TelegramNotFound):
        await fake_bot.leave_chat(buyer.chat_id)

    assert [c.method for c in fake_api.unexpected_calls] == ["leaveChat"]
    with pytest.raises(AssertionError, match="leaveChat"):
        fake_api.assert_no_unexpected_calls()
    fake_api.clear()


async def test_commands_menu_button_and_chats(
    fake_api: FakeBotAPI, fake_bot: Bot, buyer: FakeUser
) -> None:
    commands = [
        BotCommand(command="start", description="开始"),
        BotCommand(command="status", description="查询"),
    ]
    await fake_bot.set_my_commands(commands, language_code="zh")
    await fake_bot.set_chat_menu_button()
    staff = buyer.in_chat(STAFF_GROUP, title="客服组")
    await staff.send_text("/help")

    listed = await fake_bot.get_my_commands(language_code="zh")
    assert [(c.command, c.description) for c in listed] == [("start", "开始"), ("status", "查询")]
    assert await fake_bot.get_my_commands() == []
    assert await fake_bot.delete_my_commands(language_code="zh")
    assert await fake_bot.get_my_commands(language_code="zh") == []
    group = await fake_bot.get_chat(STAFF_GROUP)
    assert (group.type, group.title) == ("supergroup", "客服组")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await fake_bot.get_chat(42)
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await fake_bot.set_my_commands([BotCommand(command="Bad-Name", description="x")])


async def test_plain_json_and_query_string_requests_work_too(fake_api: FakeBotAPI) -> None:
    base = f"{fake_api.base_url}/bot{fake_api.token}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/sendMessage", json={"chat_id": 7, "text": "json"}) as resp:
            sent = await resp.json()
        async with http.get(f"{base}/getMe") as resp:
            me = await resp.json()

    assert sent["result"]["text"] == "json"
    assert me["result"]["username"] == "complaint_test_bot"
    assert fake_api.calls("sendMessage")[0].params == {"chat_id": 7, "text": "json"}


async def test_closing_the_server_releases_a_waiting_long_poll() -> None:
    api = FakeBotAPI()
    await api.start()
    bot = api.make_bot()
    try:
        poll = asyncio.create_task(bot.get_updates(timeout=30))
        await api.wait_for_poll()
        started = time.monotonic()
        await api.close()
        assert await asyncio.wait_for(poll, timeout=1) == []
        assert time.monotonic() - started < 0.5
    finally:
        await bot.session.close()
        await api.close()
