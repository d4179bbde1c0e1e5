"""FakeUser builds the updates Telegram would deliver, and aiogram's dispatcher accepts them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import (
    CallbackQuery,
    InaccessibleMessage,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)

from sandbox.botapi import FakeBotAPI, FakeUser, NoSuchButton

STAFF_GROUP = -1001234567890


def keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d)] for t, d in buttons]
    )


@pytest.fixture
def buyer(fake_api: FakeBotAPI) -> FakeUser:
    return fake_api.user(id=1001, first_name="小明", username="xiaoming")


async def test_click_presses_the_button_of_the_latest_bot_message_that_has_it(
    fake_api: FakeBotAPI, fake_bot: Bot, buyer: FakeUser
) -> None:
    await fake_bot.send_message(buyer.chat_id, "旧", reply_markup=keyboard(("确认", "old:yes")))
    latest = await fake_bot.send_message(
        buyer.chat_id, "新", reply_markup=keyboard(("确认", "new:yes"))
    )

    update = Update.model_validate(await buyer.click("确认"))
    by_data = buyer.build_click(latest, "new:yes")

    query = update.callback_query
    assert query is not None
    assert query.data == "new:yes"
    assert query.message is not None
    assert query.message.message_id == latest.message_id
    assert query.from_user.id == buyer.id
    assert by_data["callback_query"]["data"] == "new:yes"
    assert await fake_bot.answer_callback_query(query.id, text="已确认")
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await fake_bot.answer_callback_query(query.id)
    with pytest.raises(NoSuchButton, match="确认"):
        buyer.build_click("不存在")


@pytest.mark.parametrize(
    ("build", "content_type"),
    [
        (lambda u: u.build_text("hi"), "text"),
        (lambda u: u.build_command("/start", "complain_A1"), "text"),
        (lambda u: u.build_photo(b"jpg", caption="c", media_group_id="g1"), "photo"),
        (lambda u: u.build_document(b"pdf", "r.pdf", "application/pdf"), "document"),
        (lambda u: u.build_video(b"mp4"), "video"),
        (lambda u: u.build_sticker(), "sticker"),
        (lambda u: u.build_location(), "location"),
        (lambda u: u.build_contact(), "contact"),
    ],
)
async def test_every_built_update_parses_as_an_aiogram_update(
    fake_bot: Bot, buyer: FakeUser, build: Any, content_type: str
) -> None:
    update = Update.model_validate(build(buyer), context={"bot": fake_bot})

    assert update.message is not None
    assert update.message.content_type == content_type
    assert update.message.from_user is not None
    assert update.message.from_user.id == buyer.id


async def test_edited_message_keeps_the_id_and_changes_the_text(
    fake_bot: Bot, buyer: FakeUser
) -> None:
    sent = await buyer.send_text("订单号 A1")
    edited = Update.model_validate(await buyer.edited_message(sent, "订单号 A2"))

    assert edited.edited_message is not None
    assert edited.edited_message.message_id == sent["message"]["message_id"]
    assert edited.edited_message.text == "订单号 A2"


def _echo_router() -> Router:
    router = Router()

    @router.message(CommandStart(deep_link=True))
    async def start(message: Message, command: CommandObject) -> None:
        await message.answer(f"投诉订单 {command.args}", reply_markup=keyboard(("确认", "confirm")))

    @router.callback_query(F.data == "confirm")
    async def confirm(query: CallbackQuery) -> None:
        await query.answer("已提交")
        assert isinstance(query.message, Message)
        await query.message.edit_text("已提交")

    @router.message(Command("status"))
    async def status(message: Message) -> None:
        await message.answer("处理中")

    return router


async def test_dispatcher_fed_directly_with_built_updates(
    fake_api: FakeBotAPI, fake_bot: Bot, buyer: FakeUser
) -> None:
    dispatcher = Dispatcher()
    dispatcher.include_router(_echo_router())

    await dispatcher.feed_raw_update(fake_bot, buyer.build_command("/start", "complain_A1"))
    await dispatcher.feed_raw_update(fake_bot, buyer.build_click("确认"))

    assert [m.plain_text for m in fake_api.sent_messages(buyer.chat_id)] == [
        "投诉订单 complain_A1",
        "已提交",
    ]
    answer = fake_api.calls("answerCallbackQuery")[0]
    assert answer.params["text"] == "已提交"


async def test_real_polling_runner_serves_a_user_end_to_end(
    fake_api: FakeBotAPI, buyer: FakeUser
) -> None:
    bot = fake_api.make_bot()
    dispatcher = Dispatcher()
    dispatcher.include_router(_echo_router())
    polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, polling_timeout=5)
    )
    try:
        await buyer.send_command("/start", "complain_A1")
        await fake_api.wait_for_call("sendMessage", chat_id=buyer.chat_id)
        mark = fake_api.mark()
        await buyer.click("确认")
        await fake_api.wait_for_call("editMessageText", chat_id=buyer.chat_id, after=mark)
        await fake_api.wait_for_poll()
    finally:
        await dispatcher.stop_polling()
        await asyncio.wait_for(polling, timeout=2)

    polls = fake_api.calls("getUpdates")
    assert set(polls[-1].params["allowed_updates"]) == {"callback_query", "message"}
    assert fake_api.updates.pending == []  # every update was confirmed by a later offset


async def test_a_staff_member_in_the_group_addresses_the_bot_by_name(
    fake_api: FakeBotAPI, fake_bot: Bot, buyer: FakeUser
) -> None:
    agent = fake_api.user(id=2002, first_name="客服").in_chat(STAFF_GROUP, title="客服组")
    dispatcher = Dispatcher()
    dispatcher.include_router(_echo_router())

    update = agent.build_command("status", mention_bot=True)
    await dispatcher.feed_raw_update(fake_bot, update)

    assert update["message"]["text"] == "/status@complaint_test_bot"
    assert update["message"]["chat"] == {"id": STAFF_GROUP, "type": "supergroup", "title": "客服组"}
    assert [m.text for m in fake_api.sent_messages(STAFF_GROUP)] == ["处理中"]
    assert [m["text"] for m in agent.bot_messages()] == ["处理中"]
    assert buyer.bot_messages() == []


async def test_a_poll_parses_as_a_poll_message(fake_bot: Bot, buyer: FakeUser) -> None:
    update = Update.model_validate(
        buyer.build_poll("退款吗？", ("要", "不要")), context={"bot": fake_bot}
    )

    assert update.message is not None
    assert update.message.content_type == "poll"
    assert update.message.poll is not None
    assert [option.text for option in update.message.poll.options] == ["要", "不要"]


async def test_a_forged_press_carries_any_data_on_the_latest_bot_message(
    fake_bot: Bot, buyer: FakeUser
) -> None:
    with pytest.raises(NoSuchButton, match="sent nothing"):
        buyer.build_forged_click("st:appf:TS1")
    await fake_bot.send_message(buyer.chat_id, "旧")
    latest = await fake_bot.send_message(buyer.chat_id, "新")

    forged = Update.model_validate(buyer.build_forged_click("st:appf:TS1"))
    stale = Update.model_validate(
        buyer.build_forged_click("x" * 64, latest.message_id - 1, inaccessible=True)
    )

    assert forged.callback_query is not None
    assert forged.callback_query.data == "st:appf:TS1"
    assert isinstance(forged.callback_query.message, Message)
    assert forged.callback_query.message.message_id == latest.message_id
    assert stale.callback_query is not None
    assert isinstance(stale.callback_query.message, InaccessibleMessage)
    assert stale.callback_query.message.message_id == latest.message_id - 1
    assert stale.callback_query.message.chat.id == buyer.chat_id
    assert await fake_bot.answer_callback_query(stale.callback_query.id)
