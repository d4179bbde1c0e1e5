"""Hostile updates for the real bot: what people may send, and what the bot must never do back.

An `Act` is one update described as plain data (so Hypothesis can draw, print and shrink it);
`build` turns it into the Update a person's Telegram client would deliver. The checks read what
the bot sent to the fake Bot API: every text parses as Telegram HTML, and a user's markup only
ever shows as text — `<b>ZQX0</b>` typed by a user must reach any chat as those characters,
never as bold.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from sandbox.botapi import ApiCall, FakeUser
from sandbox.botapi.markup import MarkupError, parse_html

# Each injection is opening + marker + closing. Shown as text, a marker is always preceded by
# its own opening; turned into markup, the opening is gone from what the user reads.
MARKED = (
    ("<b>", "ZQX0", "</b>"),
    ('<a href="https://evil.example/">', "ZQX1", "</a>"),
    ('<a href="tg://user?id=1">', "ZQX2", "</a>"),
    ("&lt;b&gt;", "ZQX3", "&lt;/b&gt;"),
    ('<span class="tg-spoiler">', "ZQX4", "</span>"),
    ('<pre><code class="language-x">', "ZQX5", "</code></pre>"),
    ("<b", "ZQX6", ""),  # a tag that never closes: Telegram refuses the whole message
    ("</code>", "ZQX7", ""),
    ("<script>", "ZQX8", "</script>"),
    ("&amp;#60;i&gt;", "ZQX9", ""),
)
INJECTIONS = tuple(opening + marker + closing for opening, marker, closing in MARKED)
LONG_TEXT = "卡密" * 5000  # 10,000 characters, over Telegram's 4,096 for one message
UNKNOWN_CASE = "TS20261125-ZZZZZ"
# Placeholders in drawn text, replaced when the update is built.
OWN, FOREIGN = "{own}", "{foreign}"

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00 a screenshot"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00 This program cannot be run"
CONTENTS = {"jpeg": JPEG, "pdf": PDF, "exe": EXE, "html": b"<html><b>ZQX0</b></html>", "empty": b""}
FILE_NAMES = (
    "receipt.pdf",
    "../../../etc/passwd",
    "/etc/passwd",
    "..\\..\\boot.ini",
    "shot\x00.jpg.exe",
    INJECTIONS[0] + ".pdf",
    "",
    None,
)
MIME_TYPES = (
    "application/pdf",
    "image/jpeg",
    "application/x-msdownload",
    "text/html",
    "image/svg+xml",
    "",
    "<b>ZQX0</b>/x",
    None,
)

BUTTON_PREFIXES = (
    "f:reason:", "f:refund:", "f:method:", "f:edit:", "f:submit", "f:done", "f:back",
    "f:cancel", "f:keep", "f:ev:clear", "f:resume", "f:restart", "m:complain", "m:mycases",
    "m:language", "m:help", "m:home", "lang:", "s:", "b:ev:", "b:evd:", "b:evx:", "b:acc:",
    "b:dec:", "b:esc:", "b:wd:", "b:wdy:", "b:file:", "mc:acc:", "mc:off:", "mc:rej:", "mc:ev:",
    "st:take:", "st:ev:", "st:req:", "st:mer:", "st:appf:", "st:appp:", "st:rej:", "st:rb:",
    "st:rm:", "st:paid:", "st:note:", "st:card:", "st:", "b:", "mc:",
)  # fmt: skip
COMMANDS = (
    "start", "complain", "status", "mycases", "cancel", "help", "language", "privacy",
    "evidence", "merchant", "case", "queue", "take", "assign", "note", "reject", "approve",
    "request", "tomerchant", "rule", "paid", "staff", "staffhelp", "nosuch", "START",
    "status@complaint_test_bot", "help@other_bot",
)  # fmt: skip
CASE_REFS = (OWN, FOREIGN, UNKNOWN_CASE, "garbage", "", "ts20261125 zzzzz", INJECTIONS[0])


@dataclass(frozen=True)
class Act:
    """One update: `kind` says which, the other fields what it carries."""

    kind: str  # text command other edit press forge stale upload
    text: str = ""
    index: int = 0  # press: which offered button; upload: file kind
    name: str | None = None  # upload: file name
    mime: str | None = None  # upload: declared MIME type
    stranger: bool = False  # done by someone else than the scene's person


def _texts() -> st.SearchStrategy[str]:
    injection = st.sampled_from(INJECTIONS)
    return st.one_of(
        injection,
        st.tuples(st.text(max_size=30), injection, st.text(max_size=30)).map("".join),
        st.just(LONG_TEXT),
        st.sampled_from((OWN, FOREIGN, UNKNOWN_CASE, " ", "12.50", "0", "-5", "lihua_88", "\x00")),
        st.text(min_size=1, max_size=80),
    )


def _case_ref() -> st.SearchStrategy[str]:
    return st.sampled_from(CASE_REFS)


def acts(stranger: bool = True) -> st.SearchStrategy[Act]:
    """Any update a person can send; with `stranger`, some come from someone else."""
    by = st.booleans() if stranger else st.just(False)
    data = st.one_of(
        st.tuples(st.sampled_from(BUTTON_PREFIXES), _case_ref()).map("".join),
        st.text(max_size=64).filter(lambda d: 0 < len(d.encode()) <= 64),
    )
    return st.one_of(
        st.builds(Act, st.just("text"), _texts(), stranger=by),
        st.builds(
            Act,
            st.just("command"),
            st.tuples(
                st.sampled_from(COMMANDS),
                _case_ref(),
                st.sampled_from(("", *INJECTIONS, LONG_TEXT, "12.50", "buyer 5")),
            ).map(lambda c: f"{c[0]} {c[1]} {c[2]}".rstrip()),
            stranger=by,
        ),
        st.builds(
            Act,
            st.just("other"),
            st.sampled_from(("sticker", "contact", "location", "poll")),
            stranger=by,
        ),
        st.builds(Act, st.just("edit"), _texts(), stranger=by),
        st.builds(Act, st.just("press"), index=st.integers(0, 7), stranger=by),
        st.builds(Act, st.just("forge"), data, stranger=by),
        st.builds(Act, st.just("stale"), data, stranger=by),
        st.builds(
            Act,
            st.just("upload"),
            st.sampled_from(sorted(CONTENTS)),
            index=st.integers(0, 2),  # photo, document, video
            name=st.sampled_from(FILE_NAMES),
            mime=st.sampled_from(MIME_TYPES),
            stranger=by,
        ),
    )


def fill(text: str, own: str | None, foreign: str) -> str:
    return text.replace(OWN, own or UNKNOWN_CASE).replace(FOREIGN, foreign)


def build(fake: FakeUser, act: Act, own: str | None, foreign: str) -> dict[str, Any]:
    """The Update `act` stands for, sent by `fake` in its chat."""
    text = fill(act.text, own, foreign)
    if act.kind == "command":
        name, _, args = text.partition(" ")
        return fake.build_command(name, args or None)
    if act.kind == "other":
        return getattr(fake, f"build_{act.text}")()  # type: ignore[no-any-return]
    if act.kind == "edit":
        sent = [m for m in fake.api.state.chat_messages(fake.chat_id) if _by(m, fake)]
        if sent and "text" in sent[-1]:
            return fake.build_edited_message(sent[-1], text)
        return fake.build_text(text)
    if act.kind in ("press", "forge", "stale"):
        return _press(fake, act, text)
    if act.kind == "upload":
        content = CONTENTS[act.text]
        if content:  # a new file each time, not a duplicate of the last upload
            content += len(fake.api.state.files).to_bytes(4, "big")
        if act.index == 0:
            return fake.build_photo(content)
        kind = fake.build_document if act.index == 1 else fake.build_video
        return kind(content, file_name=act.name, mime_type=act.mime)  # type: ignore[arg-type]
    return fake.build_text(text)


def _by(message: dict[str, Any], fake: FakeUser) -> bool:
    return bool(message.get("from", {}).get("id") == fake.id)


def _press(fake: FakeUser, act: Act, data: str) -> dict[str, Any]:
    """A press on a button the bot offered, or forged data on the bot's latest message."""
    shown = fake.bot_messages()
    if not shown:  # nothing to press on: the person types instead
        return fake.build_text(data or "?")
    if act.kind == "press":
        offered = [
            (message, button["callback_data"])
            for message in shown
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
            for button in row
            if "callback_data" in button
        ]
        if offered:
            message, callback = offered[-1 - act.index % len(offered)]
            return fake.build_forged_click(callback, message)
    return fake.build_forged_click(data or "x", inaccessible=act.kind == "stale")


# -- what the bot sent ---------------------------------------------------------------------------

SEND_METHODS = frozenset(
    {"sendmessage", "sendphoto", "senddocument", "sendvideo", "sendmediagroup", "copymessage"}
)
_FORMATTED = {"sendmessage": "text", "editmessagetext": "text"}


def shown_html(call: ApiCall) -> str | None:
    """The HTML a call puts in front of people (a text or a caption), if it has any."""
    method = call.method.lower()
    if call.params.get("parse_mode", "").lower() != "html":
        return None
    key = _FORMATTED.get(method, "caption")
    value = call.params.get(key)
    return value if isinstance(value, str) else None


def markup_problems(html: str) -> list[str]:
    """Why the HTML is not what a user's text may become: unparsable, or user markup honoured."""
    try:
        plain, entities = parse_html(html)
    except MarkupError as exc:
        return [str(exc)]
    problems = []
    # The bot may upper-case or drop spaces from what it echoes (an order number is normalized).
    lowered = _squeezed(plain)
    for opening, marker, _ in MARKED:
        for found in re.finditer(marker.lower(), lowered):
            if not lowered[: found.start()].endswith(_squeezed(opening)):
                problems.append(f"{opening}{marker} became markup: {plain[:200]!r}")
    for entity in entities:
        url = str(entity.get("url", ""))
        if "evil.example" in url or entity.get("user", {}).get("id") == 1:
            problems.append(f"user link became an entity: {entity}")
    return problems


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def check_calls(calls: list[ApiCall]) -> None:
    """Fails on a refused message or on user markup in anything the bot showed."""
    for call in calls:
        method = call.method.lower()
        if not call.ok and (method in SEND_METHODS or method == "editmessagetext"):
            raise AssertionError(f"Telegram refused {call.method}: {call.description}")
        html = shown_html(call)
        if html is not None:
            problems = markup_problems(html)
            assert not problems, (call.method, call.params.get("chat_id"), problems)


def sends_to(calls: list[ApiCall], chat_id: int) -> int:
    """How many messages (texts, files) the calls put into the chat."""
    return sum(
        1
        for call in calls
        if call.method.lower() in SEND_METHODS and str(call.params.get("chat_id")) == str(chat_id)
    )


def answered(calls: list[ApiCall], query_id: str) -> bool:
    return any(
        call.is_("answerCallbackQuery") and call.params.get("callback_query_id") == query_id
        for call in calls
    )


class ErrorRecords(logging.Handler):
    """Collects every ERROR the bot logs: the errors router logs each unhandled exception."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[str]:
        """The errors logged since the last call, formatted with their tracebacks."""
        taken, self.records = self.records, []
        formatter = logging.Formatter()
        return [formatter.format(record) for record in taken]


@contextmanager
def logged_errors() -> Iterator[ErrorRecords]:
    handler = ErrorRecords()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
