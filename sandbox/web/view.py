"""What the page shows: the three chats as JSON, built from the local Bot API's memory.

A snapshot is the whole picture (every message still in each chat, as edited; the reply
keyboard each chat shows; button alerts; the clock), so the page only ever replaces what it has
by what it gets, and an edit, a deletion or a reset needs no event of its own. Its `rev` is a
digest of the content: a waiting page is answered when it changes and not otherwise.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sandbox.botapi import ApiCall, FakeUser
from sandbox.handle import SandboxHandle

from .formatting import entities_to_html

PANES = ("buyer", "merchant", "staff")
# Message fields for files, in the order a message is checked for them.
FILE_KINDS = ("document", "video", "animation", "audio", "voice", "sticker")
# Alerts older than this many button presses are no longer shown.
ALERTS_KEPT = 5


def pane_user(handle: SandboxHandle, pane: str) -> FakeUser:
    """The person who acts in a pane; KeyError for an unknown pane."""
    people = {"buyer": handle.buyer, "merchant": handle.merchant, "staff": handle.staff}
    return people[pane]


@dataclass
class PaneMemory:
    """What the page did in a pane that the Bot API does not keep: presses and used keyboards."""

    queries: list[str]
    """Callback query ids of the inline buttons pressed here, oldest first."""
    used_one_time_keyboard: int | None = None
    """Position in the call log of a one-time reply keyboard already pressed (now hidden)."""


def snapshot(handle: SandboxHandle, memory: dict[str, PaneMemory]) -> dict[str, Any]:
    """The whole page's content; `rev` changes exactly when anything shown changes."""
    calls = handle.api.calls()
    state = handle.api.state
    content: dict[str, Any] = {
        "bot": {
            "id": state.bot_user["id"],
            "username": state.bot_user.get("username"),
            "name": state.bot_user.get("first_name"),
        },
        "clock": {
            "offset_seconds": handle.clock.offset.total_seconds(),
            "timezone": handle.clock.calendar.tz.key,
        },
        "panes": [_pane(handle, key, memory[key], calls) for key in PANES],
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]
    # The time itself moves every second; it is sent, but not part of what makes a change.
    content["clock"]["now"] = handle.clock.now().isoformat()
    return {"rev": digest, **content}


def _pane(
    handle: SandboxHandle, key: str, memory: PaneMemory, calls: list[ApiCall]
) -> dict[str, Any]:
    user = pane_user(handle, key)
    chat = user.chat
    return {
        "key": key,
        "chat_id": user.chat_id,
        "chat_title": chat.title if chat is not None else None,
        "user": {"id": user.id, "name": user.first_name, "username": user.username},
        "messages": [
            message_view(m, handle.api.state.bot_user["id"])
            for m in handle.api.state.chat_messages(user.chat_id)
        ],
        "reply_keyboard": _reply_keyboard(user.chat_id, memory, calls),
        "alerts": _alerts(memory, calls),
    }


def message_view(message: dict[str, Any], bot_id: int) -> dict[str, Any]:
    """One message as the page draws it; text and captions as safe HTML (formatting.py)."""
    sender = message.get("from") or {}
    view: dict[str, Any] = {
        "id": message["message_id"],
        "date": message.get("date"),
        "edited": "edit_date" in message,
        "from_bot": sender.get("id") == bot_id,
        "sender": " ".join(
            str(part) for part in (sender.get("first_name"), sender.get("last_name")) if part
        ),
        "sender_id": sender.get("id"),
    }
    if "text" in message:
        view["html"] = entities_to_html(message["text"], message.get("entities"))
    elif "caption" in message:
        view["html"] = entities_to_html(message["caption"], message.get("caption_entities"))
    if message.get("photo"):
        largest = message["photo"][-1]
        view["photo"] = {
            "file_id": largest["file_id"],
            "width": largest.get("width"),
            "height": largest.get("height"),
        }
    for kind in FILE_KINDS:
        if kind in message:
            item = message[kind]
            view["file"] = {
                "kind": kind,
                "file_id": item["file_id"],
                "name": item.get("file_name") or kind,
                "mime_type": item.get("mime_type"),
                "size": item.get("file_size"),
                "emoji": item.get("emoji"),
            }
            break
    other = _other_content(message)
    if other is not None:
        view["other"] = other
    replied = message.get("reply_to_message")
    if isinstance(replied, dict):
        view["reply_to"] = {
            "id": replied.get("message_id"),
            "text": str(replied.get("text") or replied.get("caption") or "")[:80],
        }
    keyboard = (message.get("reply_markup") or {}).get("inline_keyboard")
    if keyboard:
        view["inline_keyboard"] = [[_inline_button(b) for b in row] for row in keyboard]
    return view


def _other_content(message: dict[str, Any]) -> dict[str, Any] | None:
    """Locations, contacts and polls: shown as a short line, not as a bubble of their own kind."""
    if "location" in message:
        return {"kind": "location", **message["location"]}
    if "contact" in message:
        return {"kind": "contact", "phone_number": message["contact"].get("phone_number")}
    if "poll" in message:
        return {"kind": "poll", "question": message["poll"].get("question")}
    return None


def _inline_button(button: dict[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {"text": str(button.get("text", ""))}
    if "callback_data" in button:
        shown["data"] = str(button["callback_data"])
    elif "url" in button:
        shown["url"] = str(button["url"])
    elif "copy_text" in button:
        shown["copy"] = str((button["copy_text"] or {}).get("text", ""))
    return shown


def _reply_keyboard(
    chat_id: int, memory: PaneMemory, calls: list[ApiCall]
) -> list[list[dict[str, Any]]] | None:
    """The reply keyboard the chat shows now: the last one sent, unless removed or used up.

    Telegram keeps a reply keyboard under the input field until the bot removes it (or, for a
    one-time keyboard, until it is pressed); the local Bot API echoes only inline keyboards in
    messages, so the keyboard is read from what the bot sent.
    """
    found = last_reply_markup(chat_id, calls)
    if found is None:
        return None
    position, markup = found
    if "remove_keyboard" in markup or memory.used_one_time_keyboard == position:
        return None
    return [
        [
            {"text": b} if isinstance(b, str) else {"text": str(b.get("text", "")), **_asks(b)}
            for b in row
        ]
        for row in markup["keyboard"]
    ]


def last_reply_markup(chat_id: int, calls: list[ApiCall]) -> tuple[int, dict[str, Any]] | None:
    """The position in the call log and the markup of the last reply keyboard or its removal."""
    for position in range(len(calls) - 1, -1, -1):
        call = calls[position]
        markup = call.params.get("reply_markup")
        if not call.ok or str(call.params.get("chat_id")) != str(chat_id):
            continue
        if isinstance(markup, dict) and {"keyboard", "remove_keyboard"} & markup.keys():
            return position, markup
    return None


def _asks(button: dict[str, Any]) -> dict[str, Any]:
    if button.get("request_contact"):
        return {"asks": "contact"}
    if button.get("request_location"):
        return {"asks": "location"}
    return {}


def _alerts(memory: PaneMemory, calls: list[ApiCall]) -> list[dict[str, Any]]:
    """The bot's answers with text to the latest button presses in this pane (Telegram's toasts)."""
    recent = set(memory.queries[-ALERTS_KEPT:])
    return [
        {
            "id": str(call.params.get("callback_query_id")),
            "text": str(call.params["text"]),
            "alert": bool(call.params.get("show_alert")),
        }
        for call in calls
        if call.is_("answerCallbackQuery")
        and call.ok
        and call.params.get("text")
        and str(call.params.get("callback_query_id")) in recent
    ]
