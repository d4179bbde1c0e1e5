"""The published chain heads: one JSON line per publication in an append-only file.

A line records when it was published, the platform-local date (one daily publication per
date), the root digest over every case's head (`cases.audit.heads_root`, the copy staff keep
in their chat), how many cases and events there were, and the heads that are new or moved
since the line before: folding the lines in order gives every case's head as last published.
Each line keeps every head it names, so a chain that was rewritten between two publications
still fails against the earlier one.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from cases.audit import Head, extends, heads_root
from cases.model import CaseEvent

LINE_VERSION = 1


class HeadsFileError(ValueError):
    """A line of the heads file is not a publication."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class Publication:
    at: datetime
    day: date  # the platform-local date it counts for
    root: str
    cases: int
    events: int
    heads: Mapping[str, Head]  # only those new or moved since the previous publication


def publication(
    at: datetime, day: date, current: Mapping[str, Head], published: Mapping[str, Head]
) -> Publication:
    """The next publication of `current`, given the heads folded from the file so far."""
    moved = {no: head for no, head in current.items() if published.get(no) != head}
    return Publication(
        at=at,
        day=day,
        root=heads_root(current),
        cases=len(current),
        events=sum(head.count for head in current.values()),
        heads=moved,
    )


def to_line(item: Publication) -> str:
    """The publication as one line of JSON: its keys sorted, no spaces, heads in case order."""
    before, after = line_around_heads(item)
    out = io.StringIO()
    out.write(before)
    for index, no in enumerate(sorted(item.heads)):
        out.write(head_fragment(no, item.heads[no], first=index == 0))
    out.write(after)
    return out.getvalue()


def line_around_heads(item: Publication) -> tuple[str, str]:
    """The text of a publication's line before its first head and after its last one, for a
    writer that writes the heads one by one (`head_fragment`) between them, in case order: the
    line as json.dumps would write the whole publication with sorted keys, which building it
    that way (a list and a fragment for every head first) cost 10 MB more at the peak for
    100,000 heads."""
    payload = {
        "v": LINE_VERSION,
        "at": item.at.isoformat(),
        "date": item.day.isoformat(),
        "root": item.root,
        "cases": item.cases,
        "events": item.events,
        "heads": {},
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    before, _, after = text.partition(_NO_HEADS)
    return before + _HEADS_OPEN, "}" + after + "\n"


def head_fragment(no: str, head: Head, *, first: bool) -> str:
    """One head as its line spells it (after a comma unless it is the `first`)."""
    return f'{"" if first else ","}{json.dumps(no)}:[{head.count},{json.dumps(head.hash)}]'


_NO_HEADS = '"heads":{}'
_HEADS_OPEN = '"heads":{'
_ROOT_AFTER_HEADS = '},"root":'


def heads_of_line(text: str, number: int) -> Iterator[tuple[str, Head]]:
    """The heads a line names, read one by one from its text as `head_fragment` writes them
    (`parse_lines` builds them all at once: the first line names every case); raises
    HeadsFileError where the line is not such a list."""
    start, end = _heads_bounds(text, number)
    at = start + len(_HEADS_OPEN)
    while at < end:
        found = _HEAD.match(text, at)
        if found is None:
            raise HeadsFileError(number, f"not a head at character {at + 1}")
        raw_no, count, raw_digest = found.groups()
        yield _text(raw_no), Head(int(count), _text(raw_digest))
        at = found.end()
        if at < end:
            if text[at] != "," or at + 1 == end:
                raise HeadsFileError(number, f"not a head at character {at + 1}")
            at += 1


def _text(raw: str) -> str:
    """A JSON string's content as written between its quotes, unescaped."""
    return str(json.loads(f'"{raw}"')) if "\\" in raw else raw


# One head as head_fragment writes it: the case number, the count and the hash, the two texts
# JSON strings (escapes allowed: a hash is whatever the database holds, even a rewritten one).
_STRING = r'"((?:[^"\\]|\\.)*)"'
_HEAD = re.compile(_STRING + r":\[(\d+)," + _STRING + r"\]")


def summary_of(text: str, number: int) -> Publication:
    """The publication on line `number` without its heads (`heads` empty), read without
    building them: what the daily round needs of the last line, which may name every case."""
    start, end = _heads_bounds(text, number)
    return _publication(text[:start] + text[end + 2 :], number, with_heads=False)


def _heads_bounds(text: str, number: int) -> tuple[int, int]:
    """Where a line's heads object starts (its key) and where it closes."""
    start, end = text.find(_HEADS_OPEN), text.rfind(_ROOT_AFTER_HEADS)
    if start < 0 or end < start:
        raise HeadsFileError(number, "not a publication (no heads)")
    return start, end


def parse_lines(lines: Iterable[str]) -> list[Publication]:
    """Every publication in the file, oldest first; raises HeadsFileError on a bad line."""
    return [
        _publication(text, number, with_heads=True)
        for number, text in enumerate(lines, start=1)
        if text.strip()
    ]


def _publication(text: str, number: int, *, with_heads: bool) -> Publication:
    try:
        payload = json.loads(text)
        if payload["v"] != LINE_VERSION:
            raise HeadsFileError(number, f"unknown version {payload['v']!r}")
        at = datetime.fromisoformat(payload["at"])
        if at.tzinfo is None:
            raise HeadsFileError(number, "a time without a time zone")
        heads = (
            {
                str(no): Head(int(count), str(digest))
                for no, (count, digest) in payload["heads"].items()
            }
            if with_heads
            else {}
        )
        return Publication(
            at=at,
            day=date.fromisoformat(payload["date"]),
            root=str(payload["root"]),
            cases=int(payload["cases"]),
            events=int(payload["events"]),
            heads=heads,
        )
    except HeadsFileError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise HeadsFileError(number, f"not a publication ({exc})") from None


def fold(items: Sequence[Publication]) -> dict[str, Head]:
    """Every case's head as last published."""
    heads: dict[str, Head] = {}
    for item in items:
        heads.update(item.heads)
    return heads


@dataclass(frozen=True)
class Ledger:
    """Every head each case was ever published with, and when."""

    heads: dict[str, list[tuple[Head, datetime]]] = field(default_factory=dict)

    @classmethod
    def of(cls, items: Sequence[Publication]) -> Ledger:
        published = cls()
        for item in items:
            for no, head in item.heads.items():
                published.heads.setdefault(no, []).append((head, item.at))
        return published

    def first_not_extended(self, case_no: str, events: Sequence[CaseEvent]) -> datetime | None:
        """When the case was published with a head its (intact) chain no longer holds."""
        for head, at in self.heads.get(case_no, ()):
            if head.count < 1 or not extends(events, head):
                return at
        return None

    def published_at(self, case_no: str) -> datetime:
        return self.heads[case_no][-1][1]
