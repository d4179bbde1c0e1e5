"""The /start menu, /help, /language and the locale the bot answers in."""

from __future__ import annotations

import pytest

from bot.commands import BUYER_COMMANDS
from dialogs.buyer import locale_for
from dialogs.context import DialogEnv, UserCtx
from tests.fakes.chat import Chat
from tests.fakes.uow import FakeStore, FakeUnitOfWork


async def test_start_shows_the_menu(chat: Chat) -> None:
    answer = await chat.send("/start")

    assert answer.keys == ["menu.main"]
    assert answer.buttons == ["m:complain", "m:mycases", "m:language", "m:help"]


async def test_help_states_the_rules_from_the_policy(chat: Chat) -> None:
    answer = await chat.send("/help")

    params = answer.params("menu.help")
    assert params["window_days"] == 7
    assert params["card_hours"] == 48
    assert params["max_files"] == 10
    assert params["max_mb"] == 20
    assert params["review_days"] == 3
    assert "定制商品不支持退款" in answer.text("zh_CN")
    assert (params["merchant_days"], params["silence"], params["buyer_days"]) == (2, "refund", 7)
    zh = answer.text("zh_CN")
    assert "商家须在 2 个工作日内答复，逾期不答复，平台按您申请的金额批准退款" in zh
    assert "您有 7 天时间答复方案或申请平台仲裁；逾期投诉将结案，不会退款" in zh


@pytest.mark.parametrize("text", ["/help", "/nosuchcommand"])
async def test_help_and_the_unknown_command_answer_name_every_buyer_command(
    chat: Chat, text: str
) -> None:
    answer = await chat.send(text)

    for locale in ("zh_CN", "en"):
        shown = answer.text(locale)
        for command in BUYER_COMMANDS:
            assert f"/{command}" in shown, (locale, command)


@pytest.mark.parametrize(
    ("button", "key"),
    [("m:mycases", "status.mycases_empty"), ("m:language", "menu.language"),
     ("m:help", "menu.help"), ("m:home", "menu.main")],
)
async def test_menu_buttons(chat: Chat, button: str, key: str) -> None:
    answer = await chat.click(button)

    assert answer.keys == [key]


async def test_language_offers_chinese_and_english(chat: Chat) -> None:
    answer = await chat.send("/language")

    assert answer.keys == ["menu.language"]
    assert answer.buttons == ["lang:zh_CN", "lang:en"]


async def test_choosing_english_is_saved_and_used_for_the_answer(
    store: FakeStore, chat: Chat
) -> None:
    await chat.send("/language")

    answer = await chat.click("lang:en")

    assert answer.keys == ["menu.language_set", "menu.main"]
    assert answer.locale == "en"
    assert store.users[1001].locale == "en"
    assert (await chat.restart().send("/help")).locale == "en"


async def test_choosing_a_language_during_a_filing_asks_the_step_again(chat: Chat) -> None:
    await chat.send("/complain")
    await chat.send("/language")

    answer = await chat.click("lang:en")

    assert answer.keys == ["menu.language_set", "filing.ask_order_no"]


async def test_an_unknown_language_button_is_stale(chat: Chat) -> None:
    answer = await chat.click("lang:fr")

    assert answer.keys == ["error.stale_button", "menu.main"]


@pytest.mark.parametrize(
    ("language_code", "locale"),
    [("zh-hans", "zh_CN"), ("zh-hant", "zh_CN"), ("zh", "zh_CN"), (None, "zh_CN"),
     ("en", "en"), ("ru", "en"), ("EN-us", "en")],
)
async def test_locale_follows_telegram_until_the_buyer_chooses(
    language_code: str | None, locale: str
) -> None:
    uow = FakeUnitOfWork()

    assert await locale_for(uow, UserCtx(1, language_code)) == locale


async def test_a_chosen_language_wins_over_telegram(store: FakeStore, env: DialogEnv) -> None:
    chat = Chat(store, env, language_code="en")
    await chat.click("lang:zh_CN")

    answer = await chat.send("/help")

    assert answer.locale == "zh_CN"
