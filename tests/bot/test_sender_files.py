"""The reply sender re-sends files by their Telegram file id, as the kind they came as."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiogram import Bot

from bot.sender import ReplySender
from dialogs.types import FileReply, Reply
from locales import Translator
from sandbox.botapi import FakeBotAPI

SHANGHAI = ZoneInfo("Asia/Shanghai")


def caption(file_kind: str, file_id: str) -> FileReply:
    return FileReply(
        key="staff.evidence_none", params={"case_no": "TS1"}, file_kind=file_kind, file_id=file_id
    )


async def test_each_kind_of_file_goes_out_with_its_own_method_and_caption(
    fake_api: FakeBotAPI, fake_bot: Bot
) -> None:
    user = fake_api.user(id=77)
    photo = user.build_photo(b"\xff\xd8 photo")["message"]["photo"][-1]["file_id"]
    doc = user.build_document(b"%PDF receipt")["message"]["document"]["file_id"]
    video = user.build_video(b"mp4 bytes")["message"]["video"]["file_id"]
    sender = ReplySender(Translator(SHANGHAI))
    replies = [caption("photo", photo), caption("document", doc), caption("video", video)]
    await sender.send(fake_bot, 77, "en", replies)
    sent = [(call.method, call.params.get("caption")) for call in fake_api.calls() if call.ok]
    assert [method.lower() for method, _ in sent] == ["sendphoto", "senddocument", "sendvideo"]
    assert all("TS1" in str(text) for _, text in sent)


async def test_a_file_telegram_no_longer_knows_is_skipped_and_the_rest_is_sent(
    fake_api: FakeBotAPI, fake_bot: Bot
) -> None:
    fake_api.user(id=77)
    sender = ReplySender(Translator(SHANGHAI))
    await sender.send(
        fake_bot, 77, "en", [caption("document", "no-such-file"), Reply("staff.queue_empty")]
    )
    assert [m.plain_text for m in fake_api.sent_messages(77)] == ["No open cases right now."]
