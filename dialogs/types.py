"""What a conversation receives (inbound events) and what it answers (reply descriptions).

`bot/` turns Telegram updates into these events and renders the replies; nothing here knows
about Telegram types, so a second runtime can drive the same dialogs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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
