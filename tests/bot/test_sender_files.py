"""Files queued in the outbox go out by their Telegram file id, as the kind they came as."""

from __future__ import annotations

from pathlib import Path

from dialogs.types import FileReply, Reply
from sandbox.botapi import FakeBotAPI
from tests.bot.outbox_support import outbox_bot


def caption(file_kind: str, file_id: str) -> FileReply:
    return FileReply(
        key="staff.evidence_none", params={"case_no": "TS1"}, file_kind=file_kind, file_id=file_id
    )


async def test_each_kind_of_file_goes_out_with_its_own_method_and_caption(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    user = fake_api.user(id=77)
    photo = user.build_photo(b"\xff\xd8 photo")["message"]["photo"][-1]["file_id"]
    doc = user.build_document(b"%PDF receipt")["message"]["document"]["file_id"]
    video = user.build_video(b"mp4 bytes")["message"]["video"]["file_id"]
    async with outbox_bot(tmp_path, fake_api) as ob:
        for reply in (caption("photo", photo), caption("document", doc), caption("video", video)):
            await ob.queue(77, reply, locale="en")
        await ob.deliver_all()
        sent = [(call.method, call.params) for call in fake_api.calls() if call.ok]
        assert [method.lower() for method, _ in sent] == ["sendphoto", "senddocument", "sendvideo"]
        assert [params.get(method.lower().removeprefix("send")) for method, params in sent] == [
            photo,
            doc,
            video,
        ]
        assert all("TS1" in str(params.get("caption")) for _, params in sent)
        assert all(row.sent_at is not None for row in await ob.rows())


async def test_a_file_telegram_no_longer_knows_fails_and_the_rest_is_sent(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    fake_api.user(id=77)
    async with outbox_bot(tmp_path, fake_api) as ob:
        await ob.queue(77, caption("document", "no-such-file"), locale="en")
        await ob.queue(77, Reply("staff.queue_empty"), locale="en")
        await ob.deliver_all()
        assert ob.texts(77) == ["No open cases right now."]
        failed, sent = await ob.rows()
        assert failed.failed_at is not None
        assert failed.sent_at is None
        assert sent.sent_at is not None


def upload(tmp_path: Path, name: str) -> tuple[FileReply, Path]:
    path = tmp_path / "data" / "dossiers" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PK zip bytes")
    reply = FileReply(
        key="staff.evidence_none", params={"case_no": "TS1"},
        file_path=f"dossiers/{name}", file_name=name,
    )
    return reply, path


async def test_an_upload_that_can_never_be_sent_leaves_no_file_behind(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    fake_api.user(id=77)
    fake_api.user(id=78)
    async with outbox_bot(tmp_path, fake_api) as ob:
        refused, refused_path = upload(tmp_path, "to-nobody.zip")
        blocked, blocked_path = upload(tmp_path, "to-blocked.zip")
        _, kept_path = upload(tmp_path, "outside.zip")
        fake_api.fail_next("sendDocument", 400, description="Bad Request: chat not found",
                           chat_id=77)
        await ob.queue(77, refused, locale="en")
        fake_api.block(78)
        await ob.queue(78, blocked, locale="en")
        await ob.deliver_all()
        assert not refused_path.exists()
        assert not blocked_path.exists()
        assert all(row.failed_at is not None for row in await ob.rows())
        assert kept_path.exists()  # nothing else under DATA_DIR is touched
