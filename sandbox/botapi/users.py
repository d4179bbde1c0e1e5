"""A person using the bot: builds the Updates Telegram would deliver for what they do.

`build_*` returns the Update dict (for `dispatcher.feed_raw_update(bot, update)`);
`send_*`, `click`, `edited_message` build it and queue it for getUpdates.
Files a user sends are stored in the fake server, so the bot can getFile and download them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Protocol

from .files import photo_sizes
from .state import BotState, FakeChat

# An update or message dict, a message_id, or an aiogram Message.
MessageRef = dict[str, Any] | int | Any

# A tiny valid WebP header; Telegram stickers are WebP files.
_STICKER_BYTES = (
    b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00"
    b"\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
)


class UpdateSink(Protocol):
    """What a user needs of the fake server (FakeBotAPI): its state and its update queue.

    Named by what it does rather than imported, so that the server can make users without the
    two modules importing each other.
    """

    state: BotState

    async def queue_update(self, update: dict[str, Any]) -> None: ...


class NoSuchButton(LookupError):
    """The user tried to press a button no bot message offers."""


@dataclass
class FakeUser:
    api: UpdateSink = field(repr=False)
    id: int = 1001
    first_name: str = "小明"
    language_code: str | None = "zh-hans"
    username: str | None = None
    last_name: str | None = None
    chat: FakeChat | None = None
    """The chat this user acts in; None means the private chat with the bot."""

    def __post_init__(self) -> None:
        if self.chat is None:
            self.chat = FakeChat(
                self.id,
                "private",
                username=self.username,
                first_name=self.first_name,
                last_name=self.last_name,
            )
        self.api.state.chats.setdefault(self.chat.id, self.chat)

    @property
    def chat_id(self) -> int:
        if self.chat is None:
            raise RuntimeError("this user has no chat yet")
        return self.chat.id

    def as_user(self) -> dict[str, Any]:
        """Returns the Bot API User object of this person."""
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data

    def in_chat(
        self, chat_id: int, chat_type: str = "supergroup", title: str | None = None, **chat: Any
    ) -> FakeUser:
        """Returns the same person acting in a group chat (e.g. the staff group).

        A chat already known keeps its description unless a title or other fields are given.
        """
        known = self.api.state.chats.get(chat_id)
        if known is not None and title is None and not chat and known.type == chat_type:
            return dataclasses.replace(self, chat=known)
        title = title or (known.title if known else None) or "Staff"
        group = self.api.state.add_chat(FakeChat(chat_id, chat_type, title=title, **chat))
        return dataclasses.replace(self, chat=group)

    def bot_messages(self) -> list[dict[str, Any]]:
        """Returns the bot's messages in this chat as the user sees them now (edits applied)."""
        return self.api.state.bot_messages(self.chat_id)

    # -- builders --------------------------------------------------------------------------

    def _message(
        self, content: dict[str, Any], reply_to: MessageRef | None = None
    ) -> dict[str, Any]:
        state = self.api.state
        message: dict[str, Any] = {
            "message_id": state.next_message_id(self.chat_id),
            "from": self.as_user(),
            "chat": self.chat.as_chat() if self.chat else {},
            "date": state.now(),
            **content,
        }
        if reply_to is not None:
            original = self._stored(reply_to)
            message["reply_to_message"] = original
        return state.store_message(message)

    def _update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {"update_id": self.api.state.next_update_id(), kind: payload}

    def build_text(self, text: str, *, reply_to: MessageRef | None = None) -> dict[str, Any]:
        return self._update("message", self._message({"text": text}, reply_to))

    def build_command(
        self, command: str, args: str | None = None, *, mention_bot: bool = False
    ) -> dict[str, Any]:
        """Builds "/start complain_X" with its bot_command entity (optionally "/start@bot")."""
        name = command if command.startswith("/") else f"/{command}"
        if mention_bot:
            name = f"{name}@{self.api.state.bot_user['username']}"
        text = f"{name} {args}" if args else name
        entity = {"type": "bot_command", "offset": 0, "length": len(name)}
        return self._update("message", self._message({"text": text, "entities": [entity]}))

    def _caption(self, caption: str | None, media_group_id: str | None) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if caption is not None:
            extra["caption"] = caption
        if media_group_id is not None:
            extra["media_group_id"] = media_group_id
        return extra

    def build_photo(
        self, content: bytes, caption: str | None = None, media_group_id: str | None = None
    ) -> dict[str, Any]:
        sizes = photo_sizes(self.api.state.files, content, origin="user")
        return self._update(
            "message", self._message({"photo": sizes, **self._caption(caption, media_group_id)})
        )

    def _file_message(
        self,
        kind: str,
        content: bytes,
        file_name: str | None,
        mime_type: str | None,
        caption: str | None,
        media_group_id: str | None,
        **extra: Any,
    ) -> dict[str, Any]:
        stored = self.api.state.files.add(content, kind, file_name=file_name, mime_type=mime_type)
        body = {kind: {**stored.as_document(), **extra}, **self._caption(caption, media_group_id)}
        return self._update("message", self._message(body))

    def build_document(
        self,
        content: bytes,
        file_name: str = "receipt.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        media_group_id: str | None = None,
    ) -> dict[str, Any]:
        return self._file_message(
            "document", content, file_name, mime_type, caption, media_group_id
        )

    def build_video(
        self,
        content: bytes,
        file_name: str = "video.mp4",
        mime_type: str = "video/mp4",
        caption: str | None = None,
        media_group_id: str | None = None,
        duration: int = 5,
    ) -> dict[str, Any]:
        return self._file_message(
            "video",
            content,
            file_name,
            mime_type,
            caption,
            media_group_id,
            width=1280,
            height=720,
            duration=duration,
        )

    def build_sticker(self, emoji: str = "👍") -> dict[str, Any]:
        stored = self.api.state.files.add(_STICKER_BYTES, "sticker")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._update("message", self._message({"sticker": sticker}))

    def build_location(
        self, latitude: float = 31.2304, longitude: float = 121.4737
    ) -> dict[str, Any]:
        return self._update(
            "message", self._message({"location": {"latitude": latitude, "longitude": longitude}})
        )

    def build_contact(
        self, phone_number: str = "+8613800138000", first_name: str | None = None
    ) -> dict[str, Any]:
        contact = {
            "phone_number": phone_number,
            "first_name": first_name or self.first_name,
            "user_id": self.id,
        }
        return self._update("message", self._message({"contact": contact}))

    def build_poll(
        self, question: str = "哪家卡密最便宜？", options: tuple[str, ...] = ("A", "B")
    ) -> dict[str, Any]:
        """Builds a message carrying a regular, anonymous poll the user created."""
        poll = {
            "id": str(self.api.state.next_update_id() + 5_000_000_000),
            "question": question,
            "options": [
                {"persistent_id": str(number), "text": option, "voter_count": 0}
                for number, option in enumerate(options)
            ],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
            "allows_revoting": False,
            "members_only": False,
        }
        return self._update("message", self._message({"poll": poll}))

    def build_edited_message(self, message: MessageRef, text: str) -> dict[str, Any]:
        """Builds the edited_message update for a text this user sent earlier."""
        original = self._stored(message)
        if original.get("from", {}).get("id") != self.id:
            msg = f"message {original['message_id']} was not sent by user {self.id}"
            raise ValueError(msg)
        edited = {k: v for k, v in original.items() if k not in ("text", "entities", "caption")}
        edited["caption" if "caption" in original else "text"] = text
        edited["edit_date"] = self.api.state.now()
        self.api.state.store_message(edited)
        return self._update("edited_message", edited)

    def build_click(self, target: MessageRef | str, button: str | None = None) -> dict[str, Any]:
        """Builds the callback_query for pressing an inline button, found by text or callback_data.

        `click("Confirm")` presses it on the latest bot message in this chat that has it;
        `click(message, "Confirm")` presses it on that message.
        """
        if button is None:
            if not isinstance(target, str):
                msg = "click(message, button) needs the button's text or callback_data"
                raise TypeError(msg)
            message, data = self._find_button(target)
        else:
            message = self._stored(target)
            found = _callback_data(message, button)
            if found is None:
                msg = f"no button {button!r} on message {message['message_id']}: {_labels(message)}"
                raise NoSuchButton(msg)
            data = found
        return self._callback_query(message, data)

    def _callback_query(self, message: dict[str, Any], data: str) -> dict[str, Any]:
        query = {
            "id": self.api.state.next_callback_query_id(),
            "from": self.as_user(),
            "message": message,
            "chat_instance": str(abs(self.chat_id) * 7919 % 10**18),
            "data": data,
        }
        return self._update("callback_query", query)

    def build_forged_click(
        self, data: str, message: MessageRef | None = None, *, inaccessible: bool = False
    ) -> dict[str, Any]:
        """Builds a callback_query with `data` no button offered (a modified client sends any).

        The press is on `message`, else on the bot's latest message in this chat. With
        `inaccessible`, Telegram no longer shows the message to the bot (it is too old or was
        deleted) and sends only its chat, id and date 0 (InaccessibleMessage).
        """
        if message is not None:
            pressed = self._stored(message)
        else:
            shown = self.api.state.bot_messages(self.chat_id)
            if not shown:
                msg = f"the bot sent nothing to chat {self.chat_id}: no message to press on"
                raise NoSuchButton(msg)
            pressed = shown[-1]
        if inaccessible:
            pressed = {"chat": pressed["chat"], "message_id": pressed["message_id"], "date": 0}
        return self._callback_query(pressed, data)

    def _find_button(self, button: str) -> tuple[dict[str, Any], str]:
        messages = self.api.state.bot_messages(self.chat_id)
        for message in reversed(messages):
            data = _callback_data(message, button)
            if data is not None:
                return message, data
        offered = "; ".join(
            f"#{m['message_id']}: {_labels(m)}" for m in messages if m.get("reply_markup")
        )
        msg = (
            f"no bot message in chat {self.chat_id} has a button {button!r} "
            f"(buttons: {offered or 'none'})"
        )
        raise NoSuchButton(msg)

    def _stored(self, ref: MessageRef) -> dict[str, Any]:
        """Returns the current state of a message in this chat, after any edits."""
        if isinstance(ref, dict):
            payload = ref.get("message") or ref.get("edited_message") or ref
            message_id = payload["message_id"]
        elif isinstance(ref, int):
            message_id = ref
        else:
            message_id = ref.message_id
        message = self.api.state.get_message(self.chat_id, message_id)
        if message is None:
            msg = f"message {message_id} is not in chat {self.chat_id} (deleted or never sent)"
            raise LookupError(msg)
        return message

    # -- queueing --------------------------------------------------------------------------

    async def _queue(self, update: dict[str, Any]) -> dict[str, Any]:
        await self.api.queue_update(update)
        return update

    async def send_text(self, text: str, *, reply_to: MessageRef | None = None) -> dict[str, Any]:
        return await self._queue(self.build_text(text, reply_to=reply_to))

    async def send_command(
        self, command: str, args: str | None = None, *, mention_bot: bool = False
    ) -> dict[str, Any]:
        return await self._queue(self.build_command(command, args, mention_bot=mention_bot))

    async def send_photo(
        self, content: bytes, caption: str | None = None, media_group_id: str | None = None
    ) -> dict[str, Any]:
        return await self._queue(self.build_photo(content, caption, media_group_id))

    async def send_document(
        self,
        content: bytes,
        file_name: str = "receipt.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        media_group_id: str | None = None,
    ) -> dict[str, Any]:
        return await self._queue(
            self.build_document(content, file_name, mime_type, caption, media_group_id)
        )

    async def send_video(
        self,
        content: bytes,
        file_name: str = "video.mp4",
        mime_type: str = "video/mp4",
        caption: str | None = None,
        media_group_id: str | None = None,
        duration: int = 5,
    ) -> dict[str, Any]:
        return await self._queue(
            self.build_video(content, file_name, mime_type, caption, media_group_id, duration)
        )

    async def send_sticker(self, emoji: str = "👍") -> dict[str, Any]:
        return await self._queue(self.build_sticker(emoji))

    async def send_location(
        self, latitude: float = 31.2304, longitude: float = 121.4737
    ) -> dict[str, Any]:
        return await self._queue(self.build_location(latitude, longitude))

    async def send_contact(
        self, phone_number: str = "+8613800138000", first_name: str | None = None
    ) -> dict[str, Any]:
        return await self._queue(self.build_contact(phone_number, first_name))

    async def send_poll(
        self, question: str = "哪家卡密最便宜？", options: tuple[str, ...] = ("A", "B")
    ) -> dict[str, Any]:
        return await self._queue(self.build_poll(question, options))

    async def edited_message(self, message: MessageRef, text: str) -> dict[str, Any]:
        return await self._queue(self.build_edited_message(message, text))

    async def click(self, target: MessageRef | str, button: str | None = None) -> dict[str, Any]:
        return await self._queue(self.build_click(target, button))

    async def forged_click(
        self, data: str, message: MessageRef | None = None, *, inaccessible: bool = False
    ) -> dict[str, Any]:
        return await self._queue(self.build_forged_click(data, message, inaccessible=inaccessible))


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [button for row in rows for button in row]


def _labels(message: dict[str, Any]) -> str:
    return (
        ", ".join(f"{b.get('text')!r}={b.get('callback_data')!r}" for b in _buttons(message))
        or "none"
    )


def _callback_data(message: dict[str, Any], button: str) -> str | None:
    """Returns the callback_data of the button whose text or data is `button`."""
    for candidate in _buttons(message):
        if (
            button in (candidate.get("text"), candidate.get("callback_data"))
            and "callback_data" in candidate
        ):
            return str(candidate["callback_data"])
    return None
