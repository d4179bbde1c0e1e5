"""Telegram's HTML parse mode, strict like the real server.

Telegram rejects a message whose HTML does not parse ("can't parse entities"); a bot that forgets
to escape user text ("<" in a description) fails there. The fake does the same so tests catch it.
Entity offsets and lengths count UTF-16 code units, as in the Bot API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z_][\w-]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)\s*>"
)
_ATTR = re.compile(r"([a-zA-Z_][\w-]*)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_SUPPORTED = {*_SIMPLE, "a", "span", "blockquote", "tg-emoji"}


class MarkupError(ValueError):
    """The text does not parse; str() is the Bot API description."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Open:
    tag: str
    entity: dict[str, Any]
    start: int


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Returns the plain text and its MessageEntity dicts, or raises MarkupError."""
    out: list[str] = []
    length = 0  # UTF-16 length of the text produced so far
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char == "&":
            match = _ENTITY.match(text, pos)
            piece = _decode_entity(match.group(1)) if match else "&"
            pos = match.end() if match else pos + 1
        elif char == "<":
            match = _TAG.match(text, pos)
            if match is None:
                offset = len(text[:pos].encode())
                raise MarkupError(
                    "Bad Request: can't parse entities: Unexpected end of name token "
                    f"at byte offset {offset}"
                )
            _apply_tag(match, text, stack, entities, length)
            pos = match.end()
            continue
        else:
            piece = char
            pos += 1
        out.append(piece)
        length += utf16_len(piece)
    if stack:
        raise MarkupError(
            "Bad Request: can't parse entities: Can't find end tag corresponding to start tag "
            f'"{stack[-1].tag}"'
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _decode_entity(name: str) -> str:
    if name.startswith("#x"):
        return chr(int(name[2:], 16))
    if name.startswith("#"):
        return chr(int(name[1:]))
    return _NAMED[name]


def _apply_tag(
    match: re.Match[str],
    text: str,
    stack: list[_Open],
    entities: list[dict[str, Any]],
    length: int,
) -> None:
    closing, tag, raw_attrs = match.group(1) == "/", match.group(2).lower(), match.group(3)
    offset = len(text[: match.start()].encode())
    if closing:
        if not stack or stack[-1].tag != tag:
            expected = f'"</{stack[-1].tag}>"' if stack else "nothing"
            raise MarkupError(
                f"Bad Request: can't parse entities: Unmatched end tag at byte offset {offset}, "
                f'expected {expected}, found "</{tag}>"'
            )
        opened = stack.pop()
        if length > opened.start and opened.entity["type"] != "_merged":
            span = {"offset": opened.start, "length": length - opened.start}
            entities.append({**opened.entity, **span})
        return
    if tag not in _SUPPORTED:
        raise MarkupError(
            "Bad Request: can't parse entities: "
            f'Unsupported start tag "{tag}" '
            f"at byte offset {offset}"
        )
    attrs = {
        m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or ""
        for m in _ATTR.finditer(raw_attrs)
    }
    entity = _entity_for(tag, attrs, stack, offset)
    stack.append(_Open(tag, entity, length))


def _entity_for(tag: str, attrs: dict[str, str], stack: list[_Open], offset: int) -> dict[str, Any]:
    if tag == "a":
        href = attrs.get("href", "")
        user = re.fullmatch(r"tg://user\?id=(\d+)", href)
        if user:
            mentioned = {"id": int(user.group(1)), "is_bot": False, "first_name": ""}
            return {"type": "text_mention", "user": mentioned}
        return {"type": "text_link", "url": href}
    if tag == "span":
        if attrs.get("class") != "tg-spoiler":
            raise MarkupError(
                'Bad Request: can\'t parse entities: Tag "span" must have class "tg-spoiler" '
                f"at byte offset {offset}"
            )
        return {"type": "spoiler"}
    if tag == "blockquote":
        return {"type": "expandable_blockquote" if "expandable" in attrs else "blockquote"}
    if tag == "tg-emoji":
        return {"type": "custom_emoji", "custom_emoji_id": attrs.get("emoji-id", "")}
    if tag == "code" and stack and stack[-1].tag == "pre":
        language = attrs.get("class", "").removeprefix("language-")
        if language:
            stack[-1].entity["language"] = language
        return {"type": "_merged"}  # Telegram folds <pre><code class=…> into one pre entity
    return {"type": _SIMPLE[tag]}


def to_plain_text(text: str, parse_mode: object) -> str:
    """Returns what the user reads; text that does not parse is returned unchanged."""
    if not isinstance(parse_mode, str) or parse_mode.lower() != "html":
        return text
    try:
        return parse_html(text)[0]
    except MarkupError:
        return text
