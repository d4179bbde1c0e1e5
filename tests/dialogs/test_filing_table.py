"""The filing transition table: its diagram, its docstrings, and that handlers keep to it."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.context import DialogEnv, Turn, UserCtx
from dialogs.draft import FilingDraft, Step
from dialogs.filing import ANY_STEP, TABLE, Flow, Transition, advance, routes_for
from dialogs.types import ButtonIn, Event, FileIn, OtherIn, TextIn
from tests.fakes.chat import NOW, document, make_env, make_order, photo
from tests.fakes.filing_script import ACCOUNT, DESCRIPTION
from tests.fakes.uow import FakeStore, FakeUnitOfWork

DIAGRAM = Path(__file__).resolve().parents[2] / "dialogs" / "filing.md"
_EDGE = re.compile(r"^\s*(\[\*\]|\w+)\s*-->\s*(\[\*\]|\w+)\s*:\s*(.+)$", re.MULTILINE)


def diagram_edges() -> list[tuple[str, str, str]]:
    return _EDGE.findall(DIAGRAM.read_text(encoding="utf-8"))


def test_every_route_of_the_table_is_drawn() -> None:
    edges = diagram_edges()
    for step, routes in TABLE.items():
        for route in routes:
            drawn = [
                (src, dst) for src, dst, label in edges
                if src == step.name and label.startswith(route.on.label)
            ]
            assert drawn, f"{step.name} --> ?: {route.on.label} is not in filing.md"
            for _, dst in drawn:
                if dst == "[*]":
                    target: object = Flow.END
                elif dst == step.name and Flow.STAY in route.goes_to:
                    target = Flow.STAY
                else:
                    target = Step[dst]
                assert target in route.goes_to, (step, route.on.label, dst)
    text = DIAGRAM.read_text(encoding="utf-8")
    for route in ANY_STEP:
        assert route.on.label in text


def test_every_step_has_routes_and_every_handler_a_one_line_imperative_docstring() -> None:
    assert set(TABLE) == set(Step)
    for step in Step:
        for route in routes_for(step):
            doc = route.handler.__doc__ or ""
            assert doc, route.handler.__name__
            assert "\n" not in doc.strip(), route.handler.__name__
            assert doc.strip().endswith("."), route.handler.__name__
            assert doc.split()[0].endswith("s"), f"{route.handler.__name__}: 'Stores …', 'Asks …'"


class Harness:
    """Feeds events straight into the filing table and records each transition."""

    def __init__(self, env: DialogEnv | None = None) -> None:
        self.store = FakeStore()
        self.store.orders["A1001"] = make_order()
        self.env = env or make_env()
        self.draft: FilingDraft | None = FilingDraft(started_at=NOW)
        self.trace: list[Transition] = []

    async def feed(self, *events: Event) -> None:
        for event in events:
            if self.draft is None:
                self.draft = FilingDraft(started_at=NOW)
            async with FakeUnitOfWork(self.store) as uow:
                turn = Turn.start(UserCtx(1001), uow, self.env)
                self.draft = await advance(turn, self.draft, event, self.trace)
                assert turn.replies or turn.quiet, event
                await uow.commit()

    def check_against_table(self) -> None:
        for move in self.trace:
            if move.input == "unexpected":
                continue
            [route] = [r for r in routes_for(move.step) if r.on.label == move.input]
            assert move.to in route.goes_to, move


TOUR: list[Event] = [
    TextIn("NOPE"), TextIn("A1001"),  # unknown, then the account question
    TextIn("wrong"), TextIn(ACCOUNT),  # wrong account, then the reason
    ButtonIn("f:reason:not_delivered"),
    TextIn("短"), TextIn(DESCRIPTION), ButtonIn("f:back"), ButtonIn("f:keep"),
    ButtonIn("f:done"), FileIn(photo(1)), ButtonIn("f:ev:clear"), FileIn(photo(2)),
    ButtonIn("f:tick:account_record"),
    FileIn(document("x.zip", "application/zip")), ButtonIn("f:done"),
    ButtonIn("f:refund:partial"), TextIn("abc"), TextIn("5"), ButtonIn("f:back"),
    ButtonIn("f:keep"), ButtonIn("f:method:original"),
    ButtonIn("f:edit:reason"), ButtonIn("f:reason:quality"),
    ButtonIn("f:edit:order"), TextIn("A1001"),
    ButtonIn("f:edit:description"), TextIn(DESCRIPTION + "补充"),
    ButtonIn("f:edit:evidence"), ButtonIn("f:done"),
    ButtonIn("f:edit:refund"), ButtonIn("f:refund:full"),
    ButtonIn("f:edit:method"), ButtonIn("f:method:balance"),
    OtherIn("sticker"), ButtonIn("f:submit"),
    TextIn("A1001"), ButtonIn("f:cancel"),  # the order now has an open case; then cancel
]


async def test_a_tour_uses_every_route_and_keeps_to_the_table() -> None:
    harness = Harness()

    await harness.feed(*TOUR)

    harness.check_against_table()
    used = {(move.step, move.input) for move in harness.trace}
    for step, routes in TABLE.items():
        for route in routes:
            assert (step, route.on.label) in used, (step, route.on.label)
    assert {move.input for move in harness.trace} >= {r.on.label for r in ANY_STEP}
    assert len(harness.store.cases) == 1


EVENTS = [*TOUR, TextIn("12"), ButtonIn("f:refund:partial"), ButtonIn("f:edit:method"),
          ButtonIn("f:reason:card_invalid"), FileIn(photo(3), "g"), FileIn(photo(4), "g")]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(EVENTS), min_size=1, max_size=40))
def test_random_events_only_make_transitions_the_table_declares(events: list[Event]) -> None:
    harness = Harness()

    asyncio.run(harness.feed(*events))

    harness.check_against_table()
