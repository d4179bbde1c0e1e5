"""Translates Telegram updates into dialog events; nothing here decides anything."""

from __future__ import annotations

from aiogram.types import CallbackQuery, Message

from cases.model import EvidenceFile, EvidenceKind
from dialogs.types import ButtonIn, CommandIn, Event, FileIn, OtherIn, TextIn

# Message content types that carry no text or evidence; the dialog re-prompts for them.
_OTHER_KINDS = (
    "sticker",
    "location",
    "venue",
    "contact",
    "poll",
    "dice",
    "voice",
    "video_note",
    "animation",
    "audio",
    "game",
    "story",
)


def without_nul(text: str) -> str:
    """Drops NUL characters: PostgreSQL text cannot hold them, so one would fail the write."""
    return text.replace("\x00", "")


def message_to_event(message: Message) -> Event:
    """Returns the dialog event a message stands for."""
    if message.text is not None:
        return _text_event(without_nul(message.text))
    file_event = _file_event(message)
    if file_event is not None:
        return file_event
    for kind in _OTHER_KINDS:
        if getattr(message, kind, None) is not None:
            return OtherIn(kind=kind)
    return OtherIn(kind=str(message.content_type))


def addressed_to_another_bot(text: str | None, username: str | None) -> bool:
    """True for `/cmd@otherbot`: in a group, a command for another bot is not ours to answer."""
    if not text or not text.startswith("/") or username is None:
        return False
    head = text.split(maxsplit=1)[0]
    _, at, mention = head.partition("@")
    return bool(at) and mention.lower() != username.lower()


def callback_to_event(query: CallbackQuery) -> Event:
    return ButtonIn(data=without_nul(query.data or ""))


def _text_event(text: str) -> Event:
    stripped = text.strip()
    if stripped.startswith("/") and len(stripped) > 1:
        head, _, args = stripped.partition(" ")
        name = head[1:].split("@", 1)[0].lower()
        if name and all(ch.isalnum() or ch == "_" for ch in name):
            return CommandIn(name=name, args=args.strip())
    return TextIn(text=text)


def _file_event(message: Message) -> FileIn | None:
    evidence: EvidenceFile | None = None
    if message.photo:
        # Telegram sends several sizes of one photo; the largest is the evidence.
        biggest = max(message.photo, key=lambda size: (size.file_size or 0, size.width))
        evidence = EvidenceFile(
            kind=EvidenceKind.PHOTO,
            file_id=biggest.file_id,
            file_unique_id=biggest.file_unique_id,
            mime_type="image/jpeg",
            size=biggest.file_size,
        )
    elif message.document is not None:
        doc = message.document
        evidence = EvidenceFile(
            kind=EvidenceKind.DOCUMENT,
            file_id=doc.file_id,
            file_unique_id=doc.file_unique_id,
            mime_type=_optional(doc.mime_type),
            size=doc.file_size,
            file_name=_optional(doc.file_name),
        )
    elif message.video is not None:
        video = message.video
        evidence = EvidenceFile(
            kind=EvidenceKind.VIDEO,
            file_id=video.file_id,
            file_unique_id=video.file_unique_id,
            mime_type=_optional(video.mime_type) or "video/mp4",
            size=video.file_size,
            file_name=_optional(video.file_name),
        )
    if evidence is None:
        return None
    return FileIn(
        file=evidence,
        media_group_id=message.media_group_id,
        caption=_optional(message.caption),
    )


def _optional(text: str | None) -> str | None:
    return None if text is None else without_nul(text)
