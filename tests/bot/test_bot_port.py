"""Each runtime's adapter keeps the promise of the port: every Telegram answer becomes the same
neutral outcome, and updates and files come through as Telegram sent them, against the local
Bot API server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.transport.port import (
    Blocked,
    BotApiError,
    BotCommand,
    BotIdentity,
    BotPort,
    Failed,
    KeyButton,
    Migrated,
    Refused,
    RemoteFile,
    RetryAfter,
    Sent,
    Upload,
)
from bot.transport.runtimes import RUNTIMES, Runtime, build_port
from sandbox.botapi import BotAPIError, FakeBotAPI

pytestmark = pytest.mark.backend_independent

KEYBOARD = ((KeyButton("OK", "b:ok"),),)


@pytest.fixture(params=RUNTIMES)
def runtime(request: pytest.FixtureRequest) -> Runtime:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
async def port(runtime: Runtime, fake_api: FakeBotAPI) -> AsyncIterator[BotPort]:
    bot = build_port(runtime, fake_api.token, fake_api.base_url)
    try:
        yield bot
    finally:
        await bot.close()


async def test_a_sent_text_comes_back_with_its_message_id_and_can_be_edited(
    port: BotPort, fake_api: FakeBotAPI
) -> None:
    user = fake_api.user(id=2001)
    sent = await port.send_text(user.chat_id, "<b>hello</b>", KEYBOARD, request_timeout=5)
    assert isinstance(sent, Sent)
    assert sent.message_id > 0
    message = fake_api.sent_messages(user.chat_id)[-1]
    assert (message.plain_text, message.buttons) == ("hello", ["OK"])
    assert await port.clear_markup(user.chat_id, sent.message_id) == Sent(sent.message_id)
    assert await port.edit_text(user.chat_id, sent.message_id, "bye") == Sent(sent.message_id)
    assert [m.plain_text for m in fake_api.sent_messages(user.chat_id)][-1] == "bye"


async def test_telegrams_refusals_become_neutral_outcomes_with_telegrams_own_words(
    port: BotPort, fake_api: FakeBotAPI
) -> None:
    user = fake_api.user(id=2001)
    fake_api.fail_next("sendMessage", 429, retry_after=7)
    assert await port.send_text(user.chat_id, "a", request_timeout=5) == RetryAfter(7.0)
    fake_api.fail_next("sendMessage", 400, description="Bad Request: message is too long")
    refused = await port.send_text(user.chat_id, "b", request_timeout=5)
    assert refused == Refused("Bad Request: message is too long")
    fake_api.fail_next("sendMessage", 404, description="Not Found")
    assert await port.send_text(user.chat_id, "c", request_timeout=5) == Refused("Not Found")
    fake_api.fail_next("sendMessage", 413, description="Request Entity Too Large")
    too_large = await port.send_text(user.chat_id, "d", request_timeout=5)
    assert too_large == Refused("Request Entity Too Large")
    fake_api.fail_next("sendMessage", 502)
    assert isinstance(await port.send_text(user.chat_id, "e", request_timeout=5), Failed)
    fake_api.block(user.chat_id)
    blocked = await port.send_text(user.chat_id, "f", request_timeout=5)
    assert blocked == Blocked("Forbidden: bot was blocked by the user")


async def test_a_dropped_connection_is_a_transient_failure(
    port: BotPort, fake_api: FakeBotAPI
) -> None:
    user = fake_api.user(id=2001)
    fake_api.disconnect_next("sendMessage")
    assert isinstance(await port.send_text(user.chat_id, "a", request_timeout=5), Failed)
    fake_api.disconnect_next("answerCallbackQuery")
    assert isinstance(await port.answer_callback("q1", "toast"), Failed)


async def test_a_group_upgraded_to_a_supergroup_names_its_new_id(
    port: BotPort, fake_api: FakeBotAPI
) -> None:
    def upgraded(*_: Any) -> Any:
        description = "Bad Request: group chat was upgraded to a supergroup chat"
        raise BotAPIError(400, description, migrate_to_chat_id=-100777)

    fake_api.add_method("sendMessage", upgraded)
    assert await port.send_text(-42, "hello", request_timeout=5) == Migrated(-100777)


async def test_calls_that_return_data_raise_the_failure_in_telegrams_words(
    port: BotPort, fake_api: FakeBotAPI
) -> None:
    fake_api.fail_next("getFile", 400, description="Bad Request: file is too big")
    with pytest.raises(BotApiError) as raised:
        await port.file_info("no-such-file")
    assert raised.value.failure == Refused("Bad Request: file is too big")
    fake_api.fail_next("getUpdates", 429, retry_after=2)
    with pytest.raises(BotApiError) as flooded:
        await port.get_updates(None, 0, ["message"])
    assert flooded.value.failure == RetryAfter(2.0)


async def test_updates_come_as_the_json_telegram_sent_fields_unknown_to_the_library_kept(
    port: BotPort, fake_api: FakeBotAPI
) -> None:
    user = fake_api.user(id=2001)
    update = user.build_text("TS20261126-7K3Q9")
    update["message"]["a_field_of_a_later_bot_api"] = {"nested": [1, 2]}
    await fake_api.queue_update(update)
    got = await port.get_updates(None, 0, ["message", "callback_query"])
    assert got == [update]
    assert await port.get_updates(update["update_id"] + 1, 0, ["message"]) == []


async def test_a_users_file_is_described_and_downloaded(
    port: BotPort, fake_api: FakeBotAPI
) -> None:
    user = fake_api.user(id=2001)
    update = user.build_document(b"%PDF-1.4 receipt", file_name="r.pdf")
    document = update["message"]["document"]
    remote = await port.file_info(document["file_id"])
    assert remote == RemoteFile(remote.path, len(b"%PDF-1.4 receipt"))
    assert remote.path is not None
    assert not remote.path.startswith("http")
    assert await port.download(remote.path) == b"%PDF-1.4 receipt"
    fake_api.cut_next_download()
    with pytest.raises(BotApiError) as cut:
        await port.download(remote.path)
    assert isinstance(cut.value.failure, Failed)


async def test_uploads_from_memory_and_from_disk_reach_telegram_with_their_names(
    port: BotPort, fake_api: FakeBotAPI, tmp_path: Path
) -> None:
    user = fake_api.user(id=2001)
    on_disk = tmp_path / "cases.csv"
    on_disk.write_bytes(b"case_no\nTS1\n")
    chart = await port.send_file(
        user.chat_id,
        "photo",
        Upload(b"\x89PNG fake", "chart.png"),
        "<b>chart</b>",
        request_timeout=5,
    )
    export = await port.send_file(
        user.chat_id,
        "document",
        Upload(on_disk, "cases.csv"),
        request_timeout=5,
    )
    assert isinstance(chart, Sent)
    assert isinstance(export, Sent)
    uploaded = {f.file_name: f.content for f in fake_api.state.files.uploaded_by_bot()}
    assert uploaded.get("cases.csv") == b"case_no\nTS1\n"
    sends = [c for c in fake_api.calls() if c.method in ("sendPhoto", "sendDocument")]
    assert [c.params.get("caption") for c in sends] == ["<b>chart</b>", None]


async def test_the_bot_knows_itself_and_sets_its_commands_and_webhook(
    port: BotPort, fake_api: FakeBotAPI
) -> None:
    me = await port.me()
    assert me == BotIdentity(fake_api.bot_user["id"], fake_api.bot_user["username"])
    assert await port.me() == me
    await port.set_commands([BotCommand("status", "查询")], "zh")
    await port.set_webhook("https://bot.example/hook", "s3cret", ["message"])
    await port.delete_webhook()
    assert [c.method for c in fake_api.calls("getMe")] == ["getMe"]  # asked once, remembered
    [webhook] = fake_api.calls("setWebhook")
    assert webhook.params["secret_token"] == "s3cret"
