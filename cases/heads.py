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
from collections.abc import Iterable, Mapping, Sequence
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
    # The heads written one by one, as json.dumps would write them: dumping them with the rest
    # built a list and a fragment for every head first (10 MB more at the peak for 100,000).
    out = io.StringIO()
    out.write(before)
    out.write(_HEADS_OPEN)
    for index, no in enumerate(sorted(item.heads)):
        head = item.heads[no]
        out.write(f'{"," if index else ""}{json.dumps(no)}:[{head.count},{json.dumps(head.hash)}]')
    out.write("}")
    out.write(after)
    out.write("\n")
    return out.getvalue()


_NO_HEADS = '"heads":{}'
_HEADS_OPEN = '"heads":{'


def parse_lines(lines: Iterable[str]) -> list[Publication]:
    """Every publication in the file, oldest first; raises HeadsFileError on a bad line."""
    items: list[Publication] = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            payload = json.loads(text)
            if payload["v"] != LINE_VERSION:
                raise HeadsFileError(number, f"unknown version {payload['v']!r}")
            at = datetime.fromisoformat(payload["at"])
            if at.tzinfo is None:
                raise HeadsFileError(number, "a time without a time zone")
            items.append(
                Publication(
                    at=at,
                    day=date.fromisoformat(payload["date"]),
                    root=str(payload["root"]),
                    cases=int(payload["cases"]),
                    events=int(payload["events"]),
                    heads={
                        str(no): Head(int(count), str(digest))
                        for no, (count, digest) in payload["heads"].items()
                    },
                )
            )
        except HeadsFileError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise HeadsFileError(number, f"not a publication ({exc})") from None
    return items


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
