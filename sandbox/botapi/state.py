"""What the fake Telegram remembers: chats, messages, files, commands, callback queries."""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .files import FileStore


class BotAPIError(Exception):
    """A Bot API error answer: HTTP status, description and optional ResponseParameters."""

    def __init__(self, status: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


CHAT_NOT_FOUND = "Bad Request: chat not found"


@dataclass(frozen=True)
class FakeChat:
    id: int
    type: str = "private"
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    is_forum: bool = False

    def as_chat(self) -> dict[str, Any]:
        """Returns the Bot API Chat object."""
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name", "last_name"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        if self.is_forum:
            data["is_forum"] = True
        return data

    def as_full_info(self) -> dict[str, Any]:
        """Returns the ChatFullInfo getChat answers with."""
        return {
            **self.as_chat(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }


@dataclass
class BotState:
    """The fake server's memory; methods read and change it, FakeUser adds to it."""

    bot_user: dict[str, Any]
    clock: Callable[[], float] = time.time
    strict_chats: bool = False
    """When true, sends to a chat nobody has written from fail with "chat not found"."""
    files: FileStore = field(default_factory=FileStore)
    chats: dict[int, FakeChat] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    commands: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    menu_buttons: dict[int | None, dict[str, Any]] = field(default_factory=dict)
    open_callback_queries: set[str] = field(default_factory=set)
    on_change: Callable[[], None] | None = None
    """Called after every change to the chats, messages or files (the sandbox keeps them)."""
    _message_ids: dict[int, itertools.count[int]] = field(default_factory=dict)
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _query_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def now(self) -> int:
        return int(self.clock())

    def to_json(self) -> dict[str, Any]:
        """Chats, messages, files and counters as JSON data, to be kept across restarts."""
        next_ids = {chat_id: next(counter) for chat_id, counter in self._message_ids.items()}
        self._message_ids = {chat_id: itertools.count(n) for chat_id, n in next_ids.items()}
        next_update = self.next_update_id()
        self._update_ids = itertools.count(next_update)
        return {
            "chats": [dataclasses.asdict(chat) for chat in self.chats.values()],
            "messages": list(self.messages.values()),
            "files": self.files.to_json(),
            "next_message_ids": [[chat_id, n] for chat_id, n in next_ids.items()],
            "next_update_id": next_update,
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Takes back what `to_json` kept; chats added since (the sandbox's people) stay."""
        for chat in data["chats"]:
            self.chats.setdefault(int(chat["id"]), FakeChat(**chat))
        for message in data["messages"]:
            self.store_message(message)
        self.files = FileStore.from_json(data["files"])
        self._message_ids = {int(c): itertools.count(int(n)) for c, n in data["next_message_ids"]}
        self.continue_update_ids_after(int(data["next_update_id"]) - 1)

    def forget_conversations(self) -> None:
        """Empties every chat and the file store; chats, blocks and update ids stay.

        Update ids keep counting up, so a poller's offset from before never hides a new update.
        """
        self.messages.clear()
        self.files = FileStore()
        self.open_callback_queries.clear()
        self._message_ids.clear()
        self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def continue_update_ids_after(self, last: int) -> None:
        """Numbers the next update after `last`, as Telegram continues a bot's sequence."""
        self._update_ids = itertools.count(max(last + 1, next(self._update_ids)))

    def next_callback_query_id(self) -> str:
        query_id = f"{4_000_000_000_000_000 + next(self._query_ids)}"
        self.open_callback_queries.add(query_id)
        return query_id

    def next_message_id(self, chat_id: int) -> int:
        """Allocates the next message_id in a chat; users and the bot share one sequence."""
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def add_chat(self, chat: FakeChat) -> FakeChat:
        self.chats[chat.id] = chat
        self._changed()
        return chat

    def resolve_chat(self, chat_id: Any) -> FakeChat:
        """Returns the chat a `chat_id` parameter names (int or "@username")."""
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            for chat in self.chats.values():
                if chat.username and chat.username.lower() == chat_id[1:].lower():
                    return chat
            raise BotAPIError(400, CHAT_NOT_FOUND)
        try:
            number = int(chat_id)
        except (TypeError, ValueError):
            raise BotAPIError(400, CHAT_NOT_FOUND) from None
        known = self.chats.get(number)
        if known is not None:
            return known
        if self.strict_chats:
            raise BotAPIError(400, CHAT_NOT_FOUND)
        # Lenient default: invent the chat (a staff group, a merchant) the bot writes to first.
        if number > 0:
            guessed = FakeChat(number, "private", first_name=f"User {number}")
        else:
            guessed = FakeChat(number, "supergroup", title=f"Group {number}")
        return self.add_chat(guessed)

    def sendable_chat(self, chat_id: Any) -> FakeChat:
        """Resolves a chat the bot writes to, failing as Telegram does when it is blocked."""
        chat = self.resolve_chat(chat_id)
        if chat.id in self.blocked:
            if chat.type == "private":
                raise BotAPIError(403, "Forbidden: bot was blocked by the user")
            raise BotAPIError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        return chat

    def store_message(self, message: dict[str, Any]) -> dict[str, Any]:
        self.messages[(message["chat"]["id"], message["message_id"])] = message
        self._changed()
        return message

    def remove_message(self, chat_id: int, message_id: int) -> None:
        del self.messages[(chat_id, message_id)]
        self._changed()

    def get_message(self, chat_id: int, message_id: Any) -> dict[str, Any] | None:
        try:
            return self.messages.get((chat_id, int(message_id)))
        except (TypeError, ValueError):
            return None

    def chat_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """Returns the messages still in a chat, oldest first."""
        found = [m for (cid, _), m in self.messages.items() if cid == chat_id]
        return sorted(found, key=lambda m: int(m["message_id"]))

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        bot_id = self.bot_user["id"]
        return [m for m in self.chat_messages(chat_id) if m.get("from", {}).get("id") == bot_id]
