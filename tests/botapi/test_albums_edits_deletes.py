"""Albums, edits that drop the keyboard, deletions, unknown methods: as Telegram answers them."""

from __future__ import annotations

import logging

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramNotFound
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
)

from sandbox.botapi import FakeBotAPI, FakeUser, NoSuchButton

PNG = b"\x89PNG\r\n\x1a\n tiny"


def keyboard(label: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=label, callback_data=label.lower())]]
    )


@pytest.fixture
def buyer(fake_api: FakeBotAPI) -> FakeUser:
    return fake_api.user(id=1001)


async def test_an_album_is_one_message_per_item_sharing_a_media_group(
    fake_api: FakeBotAPI, fake_bot: Bot, buyer: FakeUser
) -> None:
    media = [
        InputMediaPhoto(
            media=BufferedInputFile(PNG, "a.png"), caption="<b>证据</b> 1", parse_mode="HTML"
        ),
        InputMediaPhoto(media=BufferedInputFile(PNG + b"2", "b.png")),
    ]
    sent = await fake_bot.send_media_group(buyer.chat_id, media)

    assert len(sent) == 2
    assert sent[0].media_group_id is not None
    assert sent[0].media_group_id == sent[1].media_group_id
    assert sent[0].caption == "证据 1"
    assert all(m.photo for m in sent)
    assert [m.message_id for m in sent] == [1, 2]
    assert len(buyer.bot_messages()) == 2


async def test_an_album_of_one_or_of_documents_mixed_with_photos_is_refused(
    fake_bot: Bot, buyer: FakeUser
) -> None:
    with pytest.raises(TelegramBadRequest, match="wrong number of media items"):
        await fake_bot.send_media_group(
            buyer.chat_id, [InputMediaPhoto(media=BufferedInputFile(PNG, "a.png"))]
        )
    with pytest.raises(TelegramBadRequest, match="can't be mixed"):
        await fake_bot.send_media_group(
            buyer.chat_id,
            [
                InputMediaPhoto(media=BufferedInputFile(PNG, "a.png")),
                InputMediaDocument(media=BufferedInputFile(b"%PDF-1.4", "a.pdf")),
            ],
        )


async def test_editing_the_text_without_a_keyboard_removes_the_keyboard(
    fake_bot: Bot, buyer: FakeUser
) -> None:
    sent = await fake_bot.send_message(buyer.chat_id, "选一个", reply_markup=keyboard("Yes"))
    edited = await fake_bot.edit_message_text(
        "已选择", chat_id=buyer.chat_id, message_id=sent.message_id
    )

    assert edited.reply_markup is None  # type: ignore[union-attr]
    [shown] = buyer.bot_messages()
    assert shown["text"] == "已选择"
    assert "reply_markup" not in shown
    with pytest.raises(NoSuchButton):
        buyer.build_click("Yes")


async def test_editing_a_caption_without_a_keyboard_removes_the_keyboard(
    fake_bot: Bot, buyer: FakeUser
) -> None:
    sent = await fake_bot.send_photo(
        buyer.chat_id, BufferedInputFile(PNG, "a.png"), caption="old", reply_markup=keyboard("Go")
    )
    await fake_bot.edit_message_caption(
        chat_id=buyer.chat_id, message_id=sent.message_id, caption="new"
    )

    [shown] = buyer.bot_messages()
    assert shown["caption"] == "new"
    assert "reply_markup" not in shown


async def test_editing_with_a_keyboard_replaces_it(fake_bot: Bot, buyer: FakeUser) -> None:
    sent = await fake_bot.send_message(buyer.chat_id, "选一个", reply_markup=keyboard("Yes"))
    await fake_bot.edit_message_text(
        "再选", chat_id=buyer.chat_id, message_id=sent.message_id, reply_markup=keyboard("No")
    )
    assert buyer.build_click("No")["callback_query"]["data"] == "no"
    with pytest.raises(NoSuchButton):
        buyer.build_click("Yes")


async def test_a_deleted_message_is_gone_and_cannot_be_deleted_or_edited_again(
    fake_bot: Bot, buyer: FakeUser
) -> None:
    sent = await fake_bot.send_message(buyer.chat_id, "临时")
    assert await fake_bot.delete_message(buyer.chat_id, sent.message_id) is True

    assert buyer.bot_messages() == []
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await fake_bot.delete_message(buyer.chat_id, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await fake_bot.edit_message_text("x", chat_id=buyer.chat_id, message_id=sent.message_id)


async def test_an_unknown_method_answers_like_telegram_and_is_logged(
    fake_api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"{fake_api.base_url}/bot{fake_api.token}/sendDice"
    with caplog.at_level(logging.WARNING, logger="sandbox.botapi.server"):
        async with aiohttp.ClientSession() as http, http.post(url, json={"chat_id": 1}) as answer:
            status, body = answer.status, await answer.json()

    assert status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert "sendDice" in caplog.text
    assert [call.method for call in fake_api.unexpected_calls] == ["sendDice"]
    fake_api.clear()


async def test_aiogram_reads_the_unknown_method_answer_as_not_found(
    fake_api: FakeBotAPI, fake_bot: Bot, buyer: FakeUser
) -> None:
    with pytest.raises(TelegramNotFound):
        await fake_bot.send_dice(buyer.chat_id)
    fake_api.clear()


async def test_the_server_listens_on_loopback_only(fake_api: FakeBotAPI) -> None:
    assert fake_api.base_url.startswith("http://127.0.0.1:")


async def test_forgetting_conversations_keeps_chats_and_update_ids_moving_on(
    fake_api: FakeBotAPI, fake_bot: Bot, buyer: FakeUser
) -> None:
    await buyer.send_text("hello")
    await fake_bot.send_message(buyer.chat_id, "hi")
    before = fake_api.state.next_update_id()

    fake_api.forget_conversations()

    assert fake_api.state.chat_messages(buyer.chat_id) == []
    assert fake_api.updates.pending == []
    assert fake_api.calls() == []
    assert buyer.chat_id in fake_api.state.chats
    assert fake_api.state.next_update_id() > before
    again = await fake_bot.send_message(buyer.chat_id, "again")
    assert again.message_id == 1
