"""Bot API methods that send, edit, copy and delete messages."""

from __future__ import annotations

from typing import Any

from .files import StoredFile, photo_sizes
from .markup import MarkupError, parse_html, utf16_len
from .records import Upload
from .state import BotAPIError, BotState, FakeChat

MAX_TEXT = 4096  # UTF-16 units, after entity parsing
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64  # bytes
_INLINE_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
# Message fields that are the content (what copyMessage copies).
CONTENT_KEYS = (
    "text",
    "entities",
    "caption",
    "caption_entities",
    "photo",
    "document",
    "video",
    "animation",
    "audio",
    "voice",
    "sticker",
    "location",
    "contact",
)
Params = dict[str, Any]
Uploads = dict[str, Upload]


def formatted(params: Params, key: str, limit: int, *, required: bool) -> dict[str, Any]:
    """Returns {key: plain, key_entities: [...]} for text/caption, parsed like Telegram does."""
    raw = params.get(key)
    entities_key = "entities" if key == "text" else f"{key}_entities"
    if raw is None or raw == "":
        if required:
            raise BotAPIError(400, "Bad Request: message text is empty")
        return {}
    raw = str(raw)
    parse_mode = params.get("parse_mode")
    entities: list[dict[str, Any]] = []
    if isinstance(parse_mode, str) and parse_mode.lower() == "html":
        try:
            plain, entities = parse_html(raw)
        except MarkupError as e:
            raise BotAPIError(400, str(e)) from None
    else:
        plain = raw
        given = params.get(entities_key)
        entities = given if isinstance(given, list) else []
    if not plain.strip():
        if required:
            raise BotAPIError(400, "Bad Request: message text is empty")
        return {}
    if utf16_len(plain) > limit:
        what = "message" if key == "text" else "message caption"
        raise BotAPIError(400, f"Bad Request: {what} is too long")
    content: dict[str, Any] = {key: plain}
    if entities:
        content[entities_key] = entities
    return content


def inline_markup(params: Params) -> dict[str, Any] | None:
    """Validates reply_markup; returns it if it is an inline keyboard (the only kind echoed)."""
    markup = params.get("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise BotAPIError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return None
    for row in rows:
        for button in row:
            actions = [key for key in _INLINE_ACTIONS if key in button]
            if len(actions) != 1:
                raise BotAPIError(
                    400,
                    "Bad Request: can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard",
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                raise BotAPIError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup


def new_message(
    state: BotState, chat: FakeChat, params: Params, content: dict[str, Any]
) -> dict[str, Any]:
    """Stores and returns a message from the bot with the common send options applied."""
    message: dict[str, Any] = {
        "message_id": state.next_message_id(chat.id),
        "from": state.bot_user,
        "chat": chat.as_chat(),
        "date": state.now(),
        **content,
    }
    markup = inline_markup(params)
    if markup is not None:
        message["reply_markup"] = markup
    if params.get("message_thread_id"):
        message["message_thread_id"] = params["message_thread_id"]
    if params.get("protect_content"):
        message["has_protected_content"] = True
    reply = params.get("reply_parameters")
    reply_to = params.get("reply_to_message_id") or (
        reply.get("message_id") if isinstance(reply, dict) else None
    )
    if reply_to:
        original = state.get_message(chat.id, reply_to)
        if original is None:
            allow = isinstance(reply, dict) and reply.get("allow_sending_without_reply")
            if not allow:
                raise BotAPIError(400, "Bad Request: message to be replied not found")
        else:
            message["reply_to_message"] = original
    return state.store_message(message)


def input_file(
    state: BotState, params: Params, uploads: Uploads, key: str, kind: str
) -> tuple[StoredFile, bool]:
    """Resolves a photo/document/video parameter; returns the file and whether it is new."""
    value = params.get(key)
    upload = uploads.get(key)
    if isinstance(value, str) and value.startswith("attach://"):
        upload = uploads.get(value.removeprefix("attach://"))
        if upload is None:
            raise BotAPIError(400, f"Bad Request: file of type {kind} not found in the request")
    if upload is not None:
        stored = state.files.add(
            upload.content,
            kind,
            file_name=upload.filename,
            mime_type=upload.content_type
            if upload.content_type != "application/octet-stream"
            else None,
            origin="bot",
        )
        return stored, True
    if not value:
        raise BotAPIError(400, f"Bad Request: there is no {kind} in the request")
    value = str(value)
    known = state.files.get(value)
    if known is not None:
        return known, False
    if value.startswith(("http://", "https://")):
        name = value.rsplit("/", 1)[-1] or None
        return state.files.add(value.encode(), kind, file_name=name, origin="bot"), True
    raise BotAPIError(400, "Bad Request: wrong file identifier/HTTP URL specified")


def media_content(state: BotState, stored: StoredFile, is_new: bool, kind: str) -> dict[str, Any]:
    """Returns the message field for a sent file (photo as a list of sizes)."""
    if kind == "photo":
        if is_new:
            return {"photo": photo_sizes(state.files, stored.content, origin="bot")}
        size = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "width": 800,
            "height": 600,
        }
        return {"photo": [size]}
    data = stored.as_document()
    if kind == "video":
        data.update(width=1280, height=720, duration=5)
    return {kind: data}


def send_message(state: BotState, params: Params, uploads: Uploads) -> Any:
    chat = state.sendable_chat(params.get("chat_id"))
    return new_message(state, chat, params, formatted(params, "text", MAX_TEXT, required=True))


def _send_file(kind: str) -> Any:
    def send(state: BotState, params: Params, uploads: Uploads) -> Any:
        chat = state.sendable_chat(params.get("chat_id"))
        stored, is_new = input_file(state, params, uploads, kind, kind)
        content = {
            **media_content(state, stored, is_new, kind),
            **formatted(params, "caption", MAX_CAPTION, required=False),
        }
        return new_message(state, chat, params, content)

    send.__name__ = f"send_{kind}"
    return send


def send_media_group(state: BotState, params: Params, uploads: Uploads) -> Any:
    chat = state.sendable_chat(params.get("chat_id"))
    media = params.get("media")
    if not isinstance(media, list) or not 2 <= len(media) <= 10:
        raise BotAPIError(400, "Bad Request: wrong number of media items in the album (2-10)")
    kinds = {item.get("type") for item in media}
    if "document" in kinds and len(kinds) > 1:
        raise BotAPIError(400, "Bad Request: document can't be mixed with other media types")
    group_id = f"{13_000_000_000_000_000 + state.next_update_id()}"
    messages = []
    for item in media:
        kind = str(item.get("type"))
        stored, is_new = input_file(state, item, uploads, "media", kind)
        caption = formatted(item, "caption", MAX_CAPTION, required=False)
        content = {
            **media_content(state, stored, is_new, kind),
            **caption,
            "media_group_id": group_id,
        }
        messages.append(new_message(state, chat, params, content))
    return messages


def _edit_target(state: BotState, params: Params) -> dict[str, Any] | None:
    """Returns the bot message an edit names, or None for an inline message."""
    if params.get("inline_message_id"):
        return None
    chat = state.sendable_chat(params.get("chat_id"))
    message = state.get_message(chat.id, params.get("message_id"))
    if message is None:
        raise BotAPIError(400, "Bad Request: message to edit not found")
    if message.get("from", {}).get("id") != state.bot_user["id"]:
        raise BotAPIError(400, "Bad Request: message can't be edited")
    return message


def _apply_edit(
    state: BotState, message: dict[str, Any], changes: dict[str, Any], drop: tuple[str, ...]
) -> Any:
    updated = {k: v for k, v in message.items() if k not in drop and k != "edit_date"}
    updated.update(changes)
    before = {k: v for k, v in message.items() if k != "edit_date"}
    after = {k: v for k, v in updated.items() if k != "edit_date"}
    if before == after:
        raise BotAPIError(
            400,
            "Bad Request: message is not modified: specified new message content and reply "
            "markup are exactly the same as a content and reply markup of the current message",
        )
    updated["edit_date"] = state.now()
    return state.store_message(updated)


def edit_message_text(state: BotState, params: Params, uploads: Uploads) -> Any:
    content = formatted(params, "text", MAX_TEXT, required=True)
    message = _edit_target(state, params)
    if message is None:
        return True
    if "text" not in message:
        raise BotAPIError(400, "Bad Request: there is no text in the message to edit")
    markup = inline_markup(params)
    changes = {**content, **({"reply_markup": markup} if markup else {})}
    return _apply_edit(state, message, changes, ("entities", "reply_markup"))


def edit_message_caption(state: BotState, params: Params, uploads: Uploads) -> Any:
    content = formatted(params, "caption", MAX_CAPTION, required=False)
    message = _edit_target(state, params)
    if message is None:
        return True
    if "text" in message:
        raise BotAPIError(400, "Bad Request: there is no caption in the message to edit")
    markup = inline_markup(params)
    changes = {**content, **({"reply_markup": markup} if markup else {})}
    return _apply_edit(state, message, changes, ("caption", "caption_entities", "reply_markup"))


def edit_message_reply_markup(state: BotState, params: Params, uploads: Uploads) -> Any:
    message = _edit_target(state, params)
    markup = inline_markup(params)
    if message is None:
        return True
    return _apply_edit(
        state, message, {"reply_markup": markup} if markup else {}, ("reply_markup",)
    )


def delete_message(state: BotState, params: Params, uploads: Uploads) -> Any:
    chat = state.resolve_chat(params.get("chat_id"))
    message = state.get_message(chat.id, params.get("message_id"))
    if message is None:
        raise BotAPIError(400, "Bad Request: message to delete not found")
    state.remove_message(chat.id, int(message["message_id"]))
    return True


def _source_message(state: BotState, params: Params, action: str) -> dict[str, Any]:
    source_chat = state.resolve_chat(params.get("from_chat_id"))
    message = state.get_message(source_chat.id, params.get("message_id"))
    if message is None:
        raise BotAPIError(400, f"Bad Request: message to {action} not found")
    return message


def copy_message(state: BotState, params: Params, uploads: Uploads) -> Any:
    source = _source_message(state, params, "copy")
    chat = state.sendable_chat(params.get("chat_id"))
    content = {k: v for k, v in source.items() if k in CONTENT_KEYS}
    if "caption" in params and "text" not in source:
        content = {k: v for k, v in content.items() if k not in ("caption", "caption_entities")}
        content.update(formatted(params, "caption", MAX_CAPTION, required=False))
    copied = new_message(state, chat, params, content)
    return {"message_id": copied["message_id"]}


def forward_message(state: BotState, params: Params, uploads: Uploads) -> Any:
    source = _source_message(state, params, "forward")
    chat = state.sendable_chat(params.get("chat_id"))
    content = {k: v for k, v in source.items() if k in CONTENT_KEYS}
    content["forward_origin"] = {
        "type": "user",
        "sender_user": source.get("from"),
        "date": source["date"],
    }
    return new_message(
        state, chat, {k: v for k, v in params.items() if k != "reply_markup"}, content
    )


MESSAGE_METHODS = {
    "sendmessage": send_message,
    "sendphoto": _send_file("photo"),
    "senddocument": _send_file("document"),
    "sendvideo": _send_file("video"),
    "sendmediagroup": send_media_group,
    "editmessagetext": edit_message_text,
    "editmessagecaption": edit_message_caption,
    "editmessagereplymarkup": edit_message_reply_markup,
    "deletemessage": delete_message,
    "copymessage": copy_message,
    "forwardmessage": forward_message,
}
