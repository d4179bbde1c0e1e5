from __future__ import annotations

from dataclasses import replace

from dialogs.context import DialogEnv
from tests.fakes.chat import Chat
from tests.fakes.uow import FakeStore


async def test_privacy_says_what_is_kept_in_the_buyers_language(chat: Chat) -> None:
    answer = await chat.send("/privacy")
    assert answer.keys == ["privacy.info"]
    assert "Telegram" in answer.text("zh_CN")
    assert "hash chain" in answer.text("en")
    assert "10" in answer.text("en")  # the evidence limit comes from the policy


async def test_privacy_mid_filing_answers_then_asks_the_open_question_again(chat: Chat) -> None:
    await chat.send("/complain")
    answer = await chat.send("/privacy")
    assert answer.keys[0] == "privacy.info"
    assert len(answer.keys) == 2


async def test_privacy_says_what_stays_after_deletion_and_the_configured_retention(
    store: FakeStore, env: DialogEnv
) -> None:
    chat = Chat(store, replace(env, inbox_retention_days=3, outbox_retention_days=45))
    answer = await chat.send("/privacy")
    text = answer.text("en")
    assert "deleted 3 days after they were handled" in text
    assert "deleted 45 days after sending" in text
    assert "Kept even after deletion" in text
    assert "amounts" in text
    zh = answer.text("zh_CN")
    assert "处理完成 3 天后删除" in zh
    assert "发送 45 天后删除" in zh
