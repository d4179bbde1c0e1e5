"""Hostile input at the staff group, the merchant and the buyer's case actions never breaks them.

Random sequences of text (markup, 10,000 characters), stickers, locations, contacts, polls,
edited messages, unknown or half-right callback data and commands in the middle of an owed
answer: every update is handled without an exception, every reply renders as Telegram HTML the
fake Bot API accepts, and user text only ever appears escaped — no user `<b>` becomes markup.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialogs.types import ButtonIn, CommandIn, Event, OtherIn, Reply, TextIn
from sandbox.botapi.markup import parse_html
from tests.dialogs.case_support import (
    AGENT,
    ARBITRATOR,
    BUYER,
    MERCHANT,
    OTHER_MERCHANT,
    STAFF_CHAT,
    STRANGER,
    CaseWorld,
)
from tests.fakes.chat import Answer, translator
from tests.fakes.staff import StaffChat

INJECTION = '<b>pwn</b><a href="tg://user?id=1">x</a>'
TEXTS = [
    INJECTION,
    "&lt;b&gt; <i>斜体</i> </code> <pre>",
    "卡密" * 5000,  # 10,000 characters
    "",
    " ",
    "12.50",
    "¥0",
    "-5",
    "证据不足，已核实 <script>alert(1)</script>",
]
PREFIXES = [
    "st:take:",
    "st:req:",
    "st:mer:",
    "st:appf:",
    "st:appp:",
    "st:rej:",
    "st:rb:",
    "st:rm:",
    "st:paid:",
    "st:note:",
    "st:card:",
    "st:ev:",
    "mc:acc:",
    "mc:off:",
    "mc:rej:",
    "mc:ev:",
    "b:ev:",
    "b:acc:",
    "b:dec:",
    "b:esc:",
    "b:wd:",
    "b:wdy:",
    "b:file:",
    "b:evd:",
    "b:evx:",
]
COMMANDS = [
    "case",
    "queue",
    "take",
    "request",
    "tomerchant",
    "approve",
    "reject",
    "rule",
    "paid",
    "note",
    "staff",
    "staffhelp",
    "status",
    "evidence",
    "merchant",
    "start",
    "help",
    "cancel",
    "nosuch",
]


def events(case_no: Callable[[], str]) -> st.SearchStrategy[Event]:
    """Any update a person can send, with the case's number (or a wrong one) in buttons."""
    numbers = st.sampled_from(["{case}", "TS20261125-ZZZZZ", "garbage", "", "<b>x</b>"])
    return st.one_of(
        st.sampled_from(TEXTS).map(TextIn),
        st.text(max_size=60).map(TextIn),
        st.tuples(st.sampled_from(PREFIXES), numbers).map(lambda p: ButtonIn(p[0] + p[1])),
        st.text(max_size=64).map(ButtonIn),
        st.sampled_from(["sticker", "location", "contact", "poll", "voice", "edited"]).map(OtherIn),
        st.tuples(st.sampled_from(COMMANDS), numbers, st.sampled_from(TEXTS)).map(
            lambda c: CommandIn(c[0], f"{c[1]} {c[2]}".strip())
        ),
    )


def check_markup(answer: Answer) -> None:
    """Every reply is HTML Telegram would parse, and the injected tags stay text."""
    for locale in ("zh_CN", "en"):
        for reply in answer:
            html = translator().render(locale, reply.key, reply.params)
            _plain, entities = parse_html(html)  # raises on what Telegram rejects
            assert "<b>pwn" not in html, (reply.key, html)
            assert "<script>" not in html, (reply.key, html)
            assert all(e.get("url") != "tg://user?id=1" for e in entities), reply.key


def with_case(event: Event, case_no: str) -> Event:
    if isinstance(event, ButtonIn):
        return ButtonIn(event.data.replace("{case}", case_no))
    if isinstance(event, CommandIn):
        return CommandIn(event.name, event.args.replace("{case}", case_no))
    return event


async def staff_group(script: list[tuple[int, Event]]) -> None:
    world = CaseWorld.make()
    case_no = await world.with_merchant()
    for user, event in script:
        chat = StaffChat(world.store, world.env, user, STAFF_CHAT)
        check_markup(await chat.deliver(with_case(event, case_no)))


async def private(script: list[tuple[int, Event]]) -> None:
    world = CaseWorld.make()
    case_no = await world.with_merchant()
    for user, event in script:
        check_markup(await world.chat(user).deliver(with_case(event, case_no)))
    outbox = [row for row in world.store.outbox if row.payload.get("key")]
    for row in outbox:  # notices queued for buyer, merchant and staff chat
        check_markup(Answer([Reply.from_payload(row.payload)]))


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(
    st.lists(
        st.tuples(st.sampled_from([AGENT, ARBITRATOR, STRANGER]), events(lambda: "")),
        min_size=1,
        max_size=8,
    )
)
def test_the_staff_group_survives_anything_and_never_sends_user_markup(
    script: list[tuple[int, Event]],
) -> None:
    asyncio.run(staff_group(script))


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.sampled_from([BUYER, MERCHANT, OTHER_MERCHANT, STRANGER, AGENT]),
            events(lambda: ""),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_merchants_and_buyers_survive_anything_and_never_get_user_markup(
    script: list[tuple[int, Event]],
) -> None:
    asyncio.run(private(script))


async def test_a_staff_note_with_markup_shows_escaped_on_the_case_card() -> None:
    world = CaseWorld.make()
    case_no = await world.with_merchant()
    agent = StaffChat(world.store, world.env, AGENT, STAFF_CHAT)
    await agent.send(f"/note {case_no} {INJECTION}")
    card = await agent.send(f"/case {case_no}")
    check_markup(card)
    assert "&lt;b&gt;pwn&lt;/b&gt;" in card.text()


async def test_a_merchant_explanation_with_markup_reaches_the_buyer_escaped() -> None:
    world = CaseWorld.make()
    case_no = await world.with_merchant()
    merchant = world.chat(MERCHANT)
    await merchant.click(f"mc:rej:{case_no}")
    await merchant.send(f"卡密已发出，买家已使用。{INJECTION}")
    notices = [Reply.from_payload(row.payload) for row in world.outbox_to(BUYER)]
    check_markup(Answer(notices))
    rendered = " ".join(translator().render("zh_CN", n.key, n.params) for n in notices)
    assert "&lt;b&gt;pwn&lt;/b&gt;" in rendered
