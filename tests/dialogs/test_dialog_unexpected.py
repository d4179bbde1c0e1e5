"""Unexpected input at any point gets a helpful answer: never an exception, never silence."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.model import EvidenceKind, is_open
from dialogs.draft import Step
from dialogs.types import ButtonIn, CommandIn, Event, FileIn, OtherIn, TextIn
from tests.fakes.chat import Chat, document, make_env, make_order, photo, video
from tests.fakes.filing_script import ACCOUNT, DESCRIPTION, reach, saved_step
from tests.fakes.uow import FakeStore

LONG_TEXT = "投诉" * 2500  # 5,000 characters
STALE = "f:reason:no_such_reason"

# Each state and what an unexpected input leads to there: (hint key, question asked again).
BUTTON_STEPS = [Step.REASON, Step.REFUND_KIND, Step.REFUND_METHOD, Step.SUMMARY]
TEXT_STEPS = [Step.ORDER_NO, Step.OWNERSHIP, Step.DESCRIPTION, Step.REFUND_AMOUNT]
PROMPTS = {
    Step.ORDER_NO: "filing.ask_order_no",
    Step.OWNERSHIP: "filing.ask_account",
    Step.REASON: "filing.ask_reason",
    Step.DESCRIPTION: "filing.ask_description",
    Step.EVIDENCE: "filing.ask_evidence",
    Step.REFUND_KIND: "filing.ask_refund_kind",
    Step.REFUND_AMOUNT: "filing.ask_refund_amount",
    Step.REFUND_METHOD: "filing.ask_refund_method",
    Step.SUMMARY: "filing.summary",
}


@pytest.mark.parametrize("step", list(Step))
@pytest.mark.parametrize("kind", ["sticker", "location", "voice", "contact"])
async def test_a_sticker_or_location_gets_a_hint_and_the_question_again(
    chat: Chat, step: Step, kind: str
) -> None:
    await reach(chat, step)

    answer = await chat.other(kind)

    assert answer.keys == ["error.unsupported_input", PROMPTS[step]]
    assert saved_step(chat.store) is step


@pytest.mark.parametrize("step", list(Step))
async def test_a_stale_button_gets_a_hint_and_the_question_again(chat: Chat, step: Step) -> None:
    await reach(chat, step)

    for data in (STALE, "zz:unknown", "f:edit:nothing", "f:refund:half", ""):
        answer = await chat.click(data)
        assert answer.key == PROMPTS[step]
        assert "error.stale_button" in answer.keys
        assert saved_step(chat.store) is step


@pytest.mark.parametrize("step", list(Step))
async def test_an_unknown_command_gets_a_hint_and_the_question_again(
    chat: Chat, step: Step
) -> None:
    await reach(chat, step)

    answer = await chat.send("/refund_now please")

    assert answer.keys == ["error.unknown_command", PROMPTS[step]]
    assert answer.params("error.unknown_command") == {"command": "refund_now"}


@pytest.mark.parametrize("step", list(Step))
async def test_help_inside_a_filing_answers_and_asks_again(chat: Chat, step: Step) -> None:
    await reach(chat, step)

    answer = await chat.send("/help")

    assert answer.keys == ["menu.help", PROMPTS[step]]
    assert saved_step(chat.store) is step


@pytest.mark.parametrize("step", list(Step))
async def test_5000_characters_are_refused_at_every_step(chat: Chat, step: Step) -> None:
    await reach(chat, step)

    answer = await chat.send(LONG_TEXT)

    expected = {
        Step.ORDER_NO: ["filing.order_no_invalid"],
        Step.OWNERSHIP: ["filing.account_invalid"],
        Step.DESCRIPTION: ["filing.description_too_long"],
        Step.EVIDENCE: ["filing.evidence_expected", PROMPTS[Step.EVIDENCE]],
        Step.REFUND_AMOUNT: ["filing.amount_invalid"],
    }.get(step, ["error.use_buttons", PROMPTS[step]])
    assert answer.keys == expected
    assert saved_step(chat.store) is step


@pytest.mark.parametrize("step", BUTTON_STEPS)
async def test_text_where_a_button_is_expected_points_at_the_buttons(
    chat: Chat, step: Step
) -> None:
    await reach(chat, step)

    answer = await chat.send("好的")

    assert answer.keys == ["error.use_buttons", PROMPTS[step]]


@pytest.mark.parametrize("step", TEXT_STEPS)
async def test_a_file_where_text_is_expected_gets_a_hint(chat: Chat, step: Step) -> None:
    await reach(chat, step)

    answer = await chat.upload(photo(9))

    assert answer.keys == ["error.file_not_expected", PROMPTS[step]]


@pytest.mark.parametrize("step", BUTTON_STEPS)
async def test_a_file_where_a_button_is_expected_points_at_the_buttons(
    chat: Chat, step: Step
) -> None:
    await reach(chat, step)

    answer = await chat.upload(photo(9))

    assert answer.keys == ["error.use_buttons", PROMPTS[step]]


async def test_an_edited_message_is_not_read(chat: Chat) -> None:
    await reach(chat, Step.DESCRIPTION)

    answer = await chat.other("edited_message")

    assert answer.keys == ["error.edited_message", "filing.ask_description"]


@pytest.mark.parametrize(
    ("event", "key"),
    [
        (OtherIn("sticker"), "menu.unsupported"),
        (OtherIn("edited_message"), "error.edited_message"),
        (TextIn("你好"), "menu.unknown_text"),
        (TextIn(LONG_TEXT), "menu.unknown_text"),
        (FileIn(photo(1)), "menu.file_without_case"),
        (ButtonIn(STALE), "error.stale_button"),
        (ButtonIn("f:submit"), "error.stale_button"),
        (ButtonIn("f:resume"), "error.stale_button"),
    ],
)
async def test_outside_a_filing_anything_unexpected_gets_the_menu(
    chat: Chat, event: Event, key: str
) -> None:
    answer = await chat.deliver(event)

    assert answer.keys == [key]
    assert "m:complain" in answer.buttons


async def test_an_unknown_command_outside_a_filing_shows_the_menu(chat: Chat) -> None:
    answer = await chat.send("/foo")

    assert answer.keys == ["error.unknown_command", "menu.main"]


async def test_an_invalid_amount_is_explained(chat: Chat) -> None:
    await reach(chat, Step.REFUND_AMOUNT)

    for text, key in [("abc", "filing.amount_invalid"), ("1e9999", "filing.amount_invalid"),
                      ("12.345", "filing.amount_invalid"), ("0", "filing.amount_not_positive"),
                      ("-5", "filing.amount_not_positive"), ("30.01", "filing.amount_over_cap")]:
        answer = await chat.send(text)
        assert answer.keys == [key], text
    assert (await chat.send("¥30")).key == "filing.ask_refund_method"


async def test_a_too_short_description_is_asked_again(chat: Chat) -> None:
    await reach(chat, Step.DESCRIPTION)

    answer = await chat.send("没发货")

    assert answer.keys == ["filing.description_too_short"]
    assert answer.params("filing.description_too_short") == {"min": 10, "length": 3}


# --- Random conversations -------------------------------------------------------------------

EVENTS: list[Event] = [
    CommandIn("start"), CommandIn("start", "complain_A1001"), CommandIn("complain"),
    CommandIn("complain", "A1001"), CommandIn("complain", "B2002"), CommandIn("cancel"),
    CommandIn("status"), CommandIn("status", "TS20261125-7K3Q9"), CommandIn("mycases"),
    CommandIn("help"), CommandIn("language"), CommandIn("whatever"),
    TextIn("A1001"), TextIn("B2002"), TextIn(ACCOUNT), TextIn("wrong"), TextIn(DESCRIPTION),
    TextIn("12.50"), TextIn("0"), TextIn(LONG_TEXT), TextIn(""), TextIn("TS20261125-7K3Q9"),
    FileIn(photo(1)), FileIn(photo(2), "album"), FileIn(photo(3), "album"),
    FileIn(document("a.zip", "application/zip")), FileIn(video(1, size=21 * 1024 * 1024)),
    OtherIn("sticker"), OtherIn("location"), OtherIn("edited_message"),
    ButtonIn(STALE), ButtonIn("f:back"), ButtonIn("f:cancel"), ButtonIn("f:keep"),
    ButtonIn("f:done"), ButtonIn("f:ev:clear"), ButtonIn("f:submit"), ButtonIn("f:resume"),
    ButtonIn("f:restart"), ButtonIn("m:complain"), ButtonIn("m:mycases"), ButtonIn("m:help"),
    ButtonIn("lang:en"), ButtonIn("lang:zh_CN"), ButtonIn("s:TS20261125-7K3Q9"),
    *(ButtonIn(f"f:reason:{r}") for r in ("not_delivered", "card_invalid", "other")),
    ButtonIn("f:refund:full"), ButtonIn("f:refund:partial"), ButtonIn("f:method:original"),
    *(ButtonIn(f"f:edit:{f}") for f in ("order", "reason", "evidence", "refund")),
]


def album_follower(event: Event) -> bool:
    return isinstance(event, FileIn) and event.media_group_id is not None


async def converse(events: list[Event]) -> None:
    store = FakeStore()
    store.orders["A1001"] = make_order()
    store.orders["B2002"] = make_order("B2002", buyer_account="second", amount=500)
    chat = Chat(store, make_env())
    for event in events:
        answer = await chat.deliver(event)
        assert answer or album_follower(event), event
    open_cases = [case for case in store.cases.values() if is_open(case.status)]
    assert len({case.order_no for case in open_cases}) == len(open_cases)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(EVENTS), min_size=1, max_size=30))
def test_random_conversations_never_fail_and_always_answer(events: list[Event]) -> None:
    asyncio.run(converse(events))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=80).map(TextIn),
            st.text(max_size=70).map(ButtonIn),
            st.text(max_size=20).map(OtherIn),
            st.tuples(st.text(alphabet="abcz_", min_size=1, max_size=10), st.text(max_size=30))
            .map(lambda pair: CommandIn(*pair)),
            st.builds(
                lambda n, mime, size: FileIn(
                    photo(n) if mime is None else document("f", mime, size, n)
                ),
                st.integers(1, 15), st.sampled_from([None, "application/zip", "text/plain", ""]),
                st.integers(0, 30 * 1024 * 1024),
            ),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_arbitrary_input_never_fails(events: list[Event]) -> None:
    asyncio.run(converse([CommandIn("complain", "A1001"), TextIn(ACCOUNT), *events]))


def test_the_event_pool_covers_every_evidence_kind() -> None:
    kinds = {event.file.kind for event in EVENTS if isinstance(event, FileIn)}
    assert kinds == {EvidenceKind.PHOTO, EvidenceKind.DOCUMENT, EvidenceKind.VIDEO}
