"""What a conversation receives (inbound events) and what it answers (reply descriptions).

`bot/` turns Telegram updates into these events and renders the replies; nothing here knows
about Telegram types, so a second runtime can drive the same dialogs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any

from cases.model import EvidenceFile


@dataclass(frozen=True)
class TextIn:
    text: str


@dataclass(frozen=True)
class CommandIn:
    """A slash command; `name` without the slash and bot suffix, lower case."""

    name: str
    args: str = ""


@dataclass(frozen=True)
class ButtonIn:
    """An inline-button press; `data` is the callback data the dialog put on the button."""

    data: str


@dataclass(frozen=True)
class FileIn:
    file: EvidenceFile
    media_group_id: str | None = None
    caption: str | None = None


@dataclass(frozen=True)
class OtherIn:
    """Anything else a user can send: sticker, location, contact, poll, voice, dice …"""

    kind: str


Event = TextIn | CommandIn | ButtonIn | FileIn | OtherIn


@dataclass(frozen=True)
class Button:
    """An inline button: its label is the locale key `label` rendered with `params`."""

    label: str
    data: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    """One outbound message: the locale key `key` rendered with `params`, plus button rows.

    Parameter values are plain data: str, int (money is fen, rendered with the `money`
    filter), date/datetime (rendered in the platform time zone). The renderer escapes them.
    """

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)
    buttons: tuple[tuple[Button, ...], ...] = ()

    def to_payload(self, locale: str) -> dict[str, Any]:
        """Serializes the reply for the outbox table, so it can be rendered after a restart."""
        return {
            "locale": locale,
            "key": self.key,
            "params": encode_params(self.params),
            "buttons": [
                [{"label": b.label, "data": b.data, "params": encode_params(b.params)} for b in row]
                for row in self.buttons
            ],
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Reply:
        """Rebuilds the reply of `to_payload` (the locale is payload["locale"]); ValueError."""
        try:
            key, rows = payload["key"], payload.get("buttons", [])
            if not isinstance(key, str) or not isinstance(rows, list):
                raise TypeError("key must be a string and buttons a list of rows")
            buttons = tuple(tuple(_button(b) for b in row) for row in rows)
            params = decode_params(payload.get("params", {}))
            file = payload.get("file")
            if file is None:
                return cls(key, params, buttons)
            if "path" in file:
                path, name = file["path"], file.get("name", "")
                if not isinstance(path, str) or not path or not isinstance(name, str):
                    raise TypeError("an uploaded file needs a path")
                return FileReply(key, params, buttons, file_path=path, file_name=name)
            kind, file_id = file["kind"], file["id"]
            if not isinstance(kind, str) or not isinstance(file_id, str):
                raise TypeError("a file needs a kind and an id")
            return FileReply(key, params, buttons, file_kind=kind, file_id=file_id)
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a reply payload: {exc}") from exc


@dataclass(frozen=True)
class FileReply(Reply):
    """A file the bot sends: again by its Telegram file id (evidence shown to staff), or uploaded
    from a file the bot wrote under DATA_DIR (an export).

    `key` and `params` render its caption. Queued like any reply: the payload carries the file's
    kind and id, and the sender re-sends it as the kind it was received as; or the file's path
    relative to DATA_DIR and the name to give it, and the sender uploads it as a document. The
    file is written before the row is queued, so the row survives a crash with its file.
    """

    file_kind: str = "document"  # EvidenceKind value: photo, document, video
    file_id: str = ""
    file_path: str = ""  # relative to DATA_DIR: upload this file (then file_id is unused)
    file_name: str = ""  # the name the upload is given

    def to_payload(self, locale: str) -> dict[str, Any]:
        file: dict[str, str] = {"kind": self.file_kind, "id": self.file_id}
        if self.file_path:
            file = {"kind": "document", "path": self.file_path, "name": self.file_name}
        return {**super().to_payload(locale), "file": file}


# Outbox payloads are JSON; dates and datetimes are tagged so they come back as the same types
# (the `date` / `datetime` filters need real objects, and "2026-01-02" would render as text).
_DATE_TAG = "$date"
_DATETIME_TAG = "$datetime"


def encode_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Returns `params` as JSON-ready data; TypeError for what would not come back the same."""
    return {str(name): _encode(value) for name, value in params.items()}


def decode_params(params: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(params, Mapping):
        raise TypeError("params must be an object")
    return {name: _decode(value) for name, value in params.items()}


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise TypeError("naive datetime in reply params; every datetime must be aware")
        return {_DATETIME_TAG: value.isoformat()}
    if isinstance(value, date):
        return {_DATE_TAG: value.isoformat()}
    if isinstance(value, Mapping):
        return encode_params(value)
    if isinstance(value, list | tuple):
        return [_encode(item) for item in value]
    # Decimal included: money is integer fen; bytes and objects have no faithful JSON form.
    raise TypeError(f"{type(value).__name__} cannot go into an outbox payload")


def _button(data: Mapping[str, Any]) -> Button:
    label, callback = data["label"], data["data"]
    if not isinstance(label, str) or not isinstance(callback, str):
        raise TypeError("a button needs a string label and data")
    return Button(label, callback, decode_params(data.get("params", {})))


def _decode(value: Any) -> Any:
    if isinstance(value, Mapping):
        if len(value) == 1 and _DATETIME_TAG in value:
            return datetime.fromisoformat(value[_DATETIME_TAG])
        if len(value) == 1 and _DATE_TAG in value:
            return date.fromisoformat(value[_DATE_TAG])
        return decode_params(value)
    if isinstance(value, list):
        return [_decode(item) for item in value]
    return value
