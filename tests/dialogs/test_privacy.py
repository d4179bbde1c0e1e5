from __future__ import annotations

from tests.fakes.chat import Chat


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
