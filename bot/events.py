"""Reads a raw update (the Bot API's JSON, as the inbox stores it) into a neutral one.

Nothing here decides anything: it says who wrote, in which chat, and what the dialog event is.
Hand-written rather than parsed with a library's models: the update is read once, straight from
the stored JSON, touching only the few fields the bot uses (no model of the whole update is
built and validated per update), and the same code serves every Telegram runtime.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from cases.model import EvidenceFile, EvidenceKind
from dialogs.types import ButtonIn, CommandIn, Event, FileIn, OtherIn, TextIn

# The update kinds the bot asks Telegram for (getUpdates, setWebhook); the rest never comes.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")

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
# What every message has besides its content: the rest names the content's kind.
_ENVELOPE = frozenset(
    {
        "message_id",
        "message_thread_id",
        "from",
        "sender_chat",
        "chat",
        "date",
        "edit_date",
        "entities",
        "caption_entities",
        "reply_to_message",
        "reply_markup",
        "forward_origin",
        "is_topic_message",
        "media_group_id",
        "caption",
        "via_bot",
        "author_signature",
        "has_protected_content",
        "link_preview_options",
        "external_reply",
        "quote",
    }
)
GROUP_TYPES = frozenset({"group", "supergroup"})
_OUTSIDE = frozenset({"left", "kicked"})
_INSIDE = frozenset({"member", "administrator"})
ADDED_TO_GROUP = OtherIn(kind="bot_added_to_group")


class MalformedUpdate(ValueError):
    """The update lacks what every update of its kind has (a chat, a sender, an id)."""


@dataclass(frozen=True, slots=True)
class Sender:
    """The Telegram user behind an update."""

    id: int
    is_bot: bool = False
    language_code: str | None = None
    username: str | None = None


@dataclass(frozen=True, slots=True)
class Press:
    """The button press an update is: its query, and the message the button is on."""

    query_id: str
    message_id: int | None  # None: Telegram no longer shows the message to the bot
    has_keyboard: bool


@dataclass(frozen=True, slots=True)
class Inbound:
    """One update as the turn runner reads it."""

    update_id: int
    chat_id: int
    chat_type: str  # private, group, supergroup, channel
    sender: Sender
    event: Event
    press: Press | None = None
    text: str | None = None  # the message's own text, as typed (for `/cmd@otherbot`)

    @property
    def private(self) -> bool:
        return self.chat_type == "private"


def without_nul(text: str) -> str:
    """Drops NUL characters: PostgreSQL text cannot hold them, so one would fail the write."""
    return text.replace("\x00", "")


def update_id_of(update: Mapping[str, Any]) -> int:
    update_id = update.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        raise MalformedUpdate("an update has an integer update_id")
    return update_id


def ordering_chat(update: Mapping[str, Any]) -> int | None:
    """The chat (or, without one, the user) whose updates must be handled in order; None when
    the update names neither (the inbox stores it on no chat)."""
    for kind, content in update.items():
        if kind == "update_id" or not isinstance(content, Mapping):
            continue
        message = content.get("message")
        for chat in (content.get("chat"), message.get("chat") if _is_map(message) else None):
            if _is_map(chat) and _is_int(chat.get("id")):
                return int(chat["id"])
        for user in (content.get("from"), content.get("user")):
            if _is_map(user) and _is_int(user.get("id")):
                return int(user["id"])
        return None
    return None


def read_update(update: Mapping[str, Any]) -> Inbound | None:
    """The update as the turn runner takes it; None for one the bot does not answer (a channel
    post, a message without a sender, another member's join …)."""
    update_id = update_id_of(update)
    if (message := _object(update, "message")) is not None:
        return _from_message(update_id, message, None)
    if (edited := _object(update, "edited_message")) is not None:
        inbound = _from_message(update_id, edited, OtherIn(kind="edited_message"))
        return inbound if inbound is not None and inbound.private else None
    if (query := _object(update, "callback_query")) is not None:
        return _from_press(update_id, query)
    if (change := _object(update, "my_chat_member")) is not None:
        return _from_membership(update_id, change)
    return None


def addressed_to_another_bot(text: str | None, username: str | None) -> bool:
    """True for `/cmd@otherbot`: in a group, a command for another bot is not ours to answer."""
    if not text or not text.startswith("/") or username is None:
        return False
    head = text.split(maxsplit=1)[0]
    _, at, mention = head.partition("@")
    return bool(at) and mention.lower() != username.lower()


def message_event(message: Mapping[str, Any]) -> Event:
    """The dialog event a message (the Bot API's JSON object) stands for."""
    text = message.get("text")
    if isinstance(text, str):
        return _text_event(without_nul(text))
    file_event = _file_event(message)
    if file_event is not None:
        return file_event
    for kind in _OTHER_KINDS:
        if message.get(kind) is not None:
            return OtherIn(kind=kind)
    content = next((key for key in message if key not in _ENVELOPE), "unknown")
    return OtherIn(kind=str(content))


def _from_message(
    update_id: int, message: Mapping[str, Any], event: Event | None
) -> Inbound | None:
    chat_id, chat_type = _chat(message.get("chat"))
    sender = _sender(message.get("from"))
    if sender is None:
        return None  # a channel's or an anonymous admin's post: no one to answer
    text = message.get("text")
    return Inbound(
        update_id=update_id,
        chat_id=chat_id,
        chat_type=chat_type,
        sender=sender,
        event=event or message_event(message),
        text=text if isinstance(text, str) else None,
    )


def _from_press(update_id: int, query: Mapping[str, Any]) -> Inbound | None:
    sender = _sender(query.get("from"))
    query_id = query.get("id")
    if sender is None or not isinstance(query_id, str):
        raise MalformedUpdate("a callback query has an id and a sender")
    message = query.get("message")
    if not _is_map(message):
        return None  # pressed on an inline-mode message: no chat of the bot's
    chat_id, chat_type = _chat(message.get("chat"))
    message_id = message.get("message_id")
    # An inaccessible message (too old for the bot to see) has the date 0 and no keyboard.
    accessible = message.get("date") != 0 and _is_int(message_id)
    data = query.get("data")
    return Inbound(
        update_id=update_id,
        chat_id=chat_id,
        chat_type=chat_type,
        sender=sender,
        event=ButtonIn(data=without_nul(data if isinstance(data, str) else "")),
        press=Press(
            query_id=query_id,
            message_id=message_id if accessible and _is_int(message_id) else None,
            has_keyboard=accessible and message.get("reply_markup") is not None,
        ),
    )


def _from_membership(update_id: int, change: Mapping[str, Any]) -> Inbound | None:
    """The bot's own membership changed: only its being added to a group is answered."""
    chat_id, chat_type = _chat(change.get("chat"))
    sender = _sender(change.get("from"))
    if sender is None:
        raise MalformedUpdate("a membership change has a sender")
    old, new = change.get("old_chat_member"), change.get("new_chat_member")
    joined = (
        _is_map(old)
        and _is_map(new)
        and old.get("status") in _OUTSIDE
        and new.get("status") in _INSIDE
    )
    if chat_type not in GROUP_TYPES or not joined:
        return None
    return Inbound(update_id, chat_id, chat_type, sender, ADDED_TO_GROUP)


def _text_event(text: str) -> Event:
    stripped = text.strip()
    if stripped.startswith("/") and len(stripped) > 1:
        head, _, args = stripped.partition(" ")
        name = head[1:].split("@", 1)[0].lower()
        if name and all(ch.isalnum() or ch == "_" for ch in name):
            return CommandIn(name=name, args=args.strip())
    return TextIn(text=text)


def _file_event(message: Mapping[str, Any]) -> FileIn | None:
    evidence: EvidenceFile | None = None
    photo = message.get("photo")
    if isinstance(photo, list) and photo:
        sizes = [size for size in photo if _is_map(size)]
        if not sizes:
            raise MalformedUpdate("a photo has sizes")
        # Telegram sends several sizes of one photo; the largest is the evidence.
        biggest = max(sizes, key=lambda size: (_size(size) or 0, _int_or(size.get("width"))))
        evidence = EvidenceFile(
            kind=EvidenceKind.PHOTO,
            file_id=_str(biggest, "file_id"),
            file_unique_id=_str(biggest, "file_unique_id"),
            mime_type="image/jpeg",
            size=_size(biggest),
        )
    elif _is_map(doc := message.get("document")):
        evidence = EvidenceFile(
            kind=EvidenceKind.DOCUMENT,
            file_id=_str(doc, "file_id"),
            file_unique_id=_str(doc, "file_unique_id"),
            mime_type=_text(doc.get("mime_type")),
            size=_size(doc),
            file_name=_text(doc.get("file_name")),
        )
    elif _is_map(video := message.get("video")):
        evidence = EvidenceFile(
            kind=EvidenceKind.VIDEO,
            file_id=_str(video, "file_id"),
            file_unique_id=_str(video, "file_unique_id"),
            mime_type=_text(video.get("mime_type")) or "video/mp4",
            size=_size(video),
            file_name=_text(video.get("file_name")),
        )
    if evidence is None:
        return None
    group = message.get("media_group_id")
    return FileIn(
        file=evidence,
        media_group_id=group if isinstance(group, str) else None,
        caption=_text(message.get("caption")),
    )


def _object(update: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    content = update.get(kind)
    if content is None:
        return None
    if not _is_map(content):
        raise MalformedUpdate(f"{kind} is a JSON object")
    return content


def _chat(chat: Any) -> tuple[int, str]:
    if not _is_map(chat) or not _is_int(chat.get("id")) or not isinstance(chat.get("type"), str):
        raise MalformedUpdate("a message has a chat with an id and a type")
    return int(chat["id"]), str(chat["type"])


def _sender(user: Any) -> Sender | None:
    if user is None:
        return None
    if not _is_map(user) or not _is_int(user.get("id")):
        raise MalformedUpdate("a sender has an id")
    return Sender(
        id=int(user["id"]),
        is_bot=user.get("is_bot") is True,
        language_code=_plain(user.get("language_code")),
        username=_plain(user.get("username")),
    )


def _str(obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise MalformedUpdate(f"a file has a {key}")
    return value


def _size(obj: Mapping[str, Any]) -> int | None:
    size = obj.get("file_size")
    return size if _is_int(size) else None


def _int_or(value: Any) -> int:
    return int(value) if _is_int(value) else 0


def _plain(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _text(value: Any) -> str | None:
    return without_nul(value) if isinstance(value, str) else None


def _is_map(value: Any) -> TypeGuard[Mapping[str, Any]]:
    return isinstance(value, Mapping)


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
