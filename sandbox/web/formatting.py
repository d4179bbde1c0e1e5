"""A message's text and entities as HTML in Telegram's tag set, and nothing else.

The page never sees the bot's own HTML: the local Bot API has already parsed it into plain text
plus MessageEntity offsets (as Telegram does), and this module builds HTML again from those, with
every character of text escaped. So whatever the bot (or a buyer, quoted by the bot) wrote, the
page can only get b, i, u, s, code, pre, a href, tg-spoiler and blockquote; a link is kept only
for http(s) and tg addresses. Hand-written because the entity form is Telegram's own (UTF-16
offsets, entities that may overlap), which HTML sanitisers do not take as input.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

_SIMPLE_TAGS = {
    "bold": "b",
    "italic": "i",
    "underline": "u",
    "strikethrough": "s",
    "spoiler": "tg-spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "expandable_blockquote": "blockquote",
}
_LINK_SCHEMES = ("http://", "https://", "tg://")

Entity = Mapping[str, Any]


def entities_to_html(text: str, entities: Sequence[Entity] | None) -> str:
    """Returns `text` as safe HTML with its entities applied as Telegram's tags."""
    units = text.encode("utf-16-le")
    size = len(units) // 2
    known = [e for e in entities or () if _span_ok(e, size) and _open_tag(e) is not None]
    cuts = sorted({0, size} | _boundaries(known))
    out: list[str] = []
    stack: list[Entity] = []
    for start, end in itertools.pairwise(cuts):
        wanted = sorted(
            (e for e in known if e["offset"] <= start and end <= e["offset"] + e["length"]),
            key=lambda e: (e["offset"], -e["length"]),
        )
        keep = _common_prefix(stack, wanted)
        for entity in reversed(stack[keep:]):
            out.append(_close_tag(entity))
        for entity in wanted[keep:]:
            out.append(_open_tag(entity) or "")
        stack = wanted
        piece = units[start * 2 : end * 2].decode("utf-16-le", errors="replace")
        out.append(html.escape(piece, quote=False))
    out.extend(_close_tag(entity) for entity in reversed(stack))
    return "".join(out)


def _span_ok(entity: Entity, size: int) -> bool:
    """Whether the entity covers a non-empty span inside a text of `size` UTF-16 units."""
    offset, length = entity.get("offset"), entity.get("length")
    if not isinstance(offset, int) or not isinstance(length, int):
        return False
    return offset >= 0 and length > 0 and offset + length <= size


def _boundaries(entities: Sequence[Entity]) -> set[int]:
    found: set[int] = set()
    for entity in entities:
        found.add(entity["offset"])
        found.add(entity["offset"] + entity["length"])
    return found


def _common_prefix(opened: Sequence[Entity], wanted: Sequence[Entity]) -> int:
    keep = 0
    while keep < min(len(opened), len(wanted)) and opened[keep] is wanted[keep]:
        keep += 1
    return keep


def _open_tag(entity: Entity) -> str | None:
    """The opening tag for an entity, or None for entities shown as plain text."""
    kind = entity.get("type")
    if kind == "text_link":
        url = str(entity.get("url", ""))
        if not url.lower().startswith(_LINK_SCHEMES):
            return None
        return f'<a href="{html.escape(url, quote=True)}">'
    if kind == "pre" and entity.get("language"):
        language = html.escape(str(entity["language"]), quote=True)
        return f'<pre><code class="language-{language}">'
    tag = _SIMPLE_TAGS.get(str(kind))
    return None if tag is None else f"<{tag}>"


def _close_tag(entity: Entity) -> str:
    kind = entity.get("type")
    if kind == "text_link":
        return "</a>"
    if kind == "pre" and entity.get("language"):
        return "</code></pre>"
    return f"</{_SIMPLE_TAGS[str(kind)]}>"
