"""Bounds on a raw update, checked before pydantic reads it.

aiogram validates an update into its pydantic types in time that grows with the update, and for
some shapes much faster than that: nested rich text (`message.rich_message`, a union of two
dozen types tried member by member) takes about a second at four levels and doubles with each
more (aiogram issue #1842), 100,000 entities take two seconds, a reply chain 500 levels deep
fails validation altogether. Telegram itself sends one level of `reply_to_message` and texts of
at most 4,096 characters, so an update past these bounds is forged or abuse; one such update
must not hold a worker for seconds.

So before any validation, one walk over the raw JSON — linear, and stopping as soon as a bound
is passed — drops what the bot never reads and may be costly (rich messages, reply chains
below Telegram's single level, entities past the first hundred) and refuses an update that is
still too deep, too big or has too many parts. A refused update keeps only what identifies it
(its id, its chat, its sender), so the inbox can mark it handled and the sender can be told.
No library offers this: pydantic has no depth or size limit on validation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 16  # nested objects and lists below the update; a real one stays under ten
MAX_PARTS = 2_000  # objects, lists and values in all; a real one has a few hundred at most
MAX_CHARS = 64 * 1024  # characters in all keys and strings; a real one stays under 30,000
MAX_ENTITIES = 100  # formatting entities kept per text; the bot reads none of them

# Fields of a message the bot never reads that may nest without bound.
DROPPED = frozenset({"rich_message"})
# Fields holding a whole message: Telegram sends one level of them and no further.
QUOTED = frozenset({"reply_to_message", "pinned_message"})
ENTITY_LISTS = frozenset({"entities", "caption_entities"})
# What a refused update keeps of its event, and of the event's chat and sender.
EVENT_FIELDS = ("message_id", "date", "id", "chat_instance", "chat", "from", "message")
PERSON_FIELDS = ("id", "type", "is_bot", "first_name", "language_code")


class TooCostly(Exception):
    """The update is past a bound; the message says which."""


@dataclass(frozen=True)
class Bounded:
    """The update to store, and why it was refused (None: it is handled as usual)."""

    payload: dict[str, Any]
    refused: str | None = None


def bound_update(payload: Mapping[str, Any]) -> Bounded:
    """The update within the bounds, or its skeleton with the reason it was refused."""
    walk = _Walk()
    try:
        kept = walk.value(payload, depth=0, quoted=False)
    except TooCostly as exc:
        return Bounded(skeleton(payload), str(exc))
    return Bounded(kept)


def skeleton(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The update's id and, of its event, only the ids, the chat and the sender."""
    kept: dict[str, Any] = {"update_id": payload.get("update_id")}
    for key, event in payload.items():
        if key != "update_id" and isinstance(event, Mapping):
            kept[key] = _event_skeleton(event, with_message=True)
            break  # an update carries one event
    return kept


def _event_skeleton(event: Mapping[str, Any], *, with_message: bool) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key in EVENT_FIELDS:
        value = event.get(key)
        if key in ("chat", "from") and isinstance(value, Mapping):
            kept[key] = {name: value[name] for name in PERSON_FIELDS if _small(value.get(name))}
        elif key == "message" and with_message and isinstance(value, Mapping):
            kept[key] = _event_skeleton(value, with_message=False)
        elif _small(value):
            kept[key] = value
    return kept


def _small(value: object) -> bool:
    return isinstance(value, int | float | bool) or (isinstance(value, str) and len(value) <= 256)


_SCALARS = (int, float, type(None))


class _Walk:
    """Copies the update, dropping what the bot never reads, counting against the bounds."""

    def __init__(self) -> None:
        self.parts = 0
        self.chars = 0

    def value(self, value: Any, depth: int, quoted: bool) -> Any:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise TooCostly(f"more than {MAX_PARTS} parts")
        if isinstance(value, str):
            self._count(len(value))
            return value
        if isinstance(value, list):
            if depth + 1 > MAX_DEPTH:
                raise TooCostly(f"nested deeper than {MAX_DEPTH}")
            return [self.value(item, depth + 1, quoted) for item in value]
        # Numbers first: isinstance against the Mapping ABC is slow (parsed JSON holds dicts).
        if isinstance(value, _SCALARS):
            return value
        if isinstance(value, dict | Mapping):
            return self._object(value, depth + 1, quoted)
        return value

    def _object(self, value: Mapping[str, Any], depth: int, quoted: bool) -> dict[str, Any]:
        if depth > MAX_DEPTH:
            raise TooCostly(f"nested deeper than {MAX_DEPTH}")
        kept: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str) or key in DROPPED or (quoted and key in QUOTED):
                continue
            self._count(len(key))
            if key in ENTITY_LISTS and isinstance(item, list):
                item = item[:MAX_ENTITIES]
            kept[key] = self.value(item, depth, quoted or key in QUOTED)
        return kept

    def _count(self, chars: int) -> None:
        self.chars += chars
        if self.chars > MAX_CHARS:
            raise TooCostly(f"more than {MAX_CHARS} characters")
