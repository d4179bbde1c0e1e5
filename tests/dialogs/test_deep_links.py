"""Signed complaint links: the platform's link starts a complaint; an edited, old or unsigned
one starts nothing and points to /complain."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest

from cases.clock import ManualClock
from dialogs import deep_links
from dialogs.context import DialogEnv
from tests.fakes.chat import NOW, Chat
from tests.fakes.uow import FakeStore

SECRET = b"platform-and-bot-share-this"
START_PARAMETER = re.compile(r"[A-Za-z0-9_-]{1,64}")


def test_a_signed_link_fits_telegrams_start_parameter_and_reads_back() -> None:
    for order_no in ("A1001", "KM202611200001", "SHOP_12-34", "x" * 20):
        parameter = deep_links.sign(SECRET, order_no, NOW + timedelta(days=7))
        assert START_PARAMETER.fullmatch(parameter), parameter
        rest = parameter.removeprefix(deep_links.PREFIX)
        assert deep_links.check(SECRET, rest, NOW).order_no == order_no


def test_an_order_a_start_parameter_cannot_carry_is_refused() -> None:
    for order_no in ("A 1001", "订单1", "x" * 40, ""):
        with pytest.raises(ValueError, match=f"^{re.escape(order_no)}$"):
            deep_links.sign(SECRET, order_no, NOW + timedelta(days=7))


def test_another_order_another_secret_or_a_late_opening_does_not_hold() -> None:
    rest = deep_links.sign(SECRET, "A1001", NOW + timedelta(days=1)).removeprefix("complain_")
    _, expires, signature = rest.rsplit("_", 2)
    assert deep_links.check(SECRET, f"A1002_{expires}_{signature}", NOW).order_no is None
    assert deep_links.check(b"another-secret-entirely", rest, NOW).order_no is None
    later = deep_links.check(SECRET, rest, NOW + timedelta(days=1))
    assert (later.order_no, later.expired) == (None, True)
    for unsigned in ("A1001", "A1001_x_y", "_1_2", ""):
        assert deep_links.check(SECRET, unsigned, NOW) == deep_links.LinkCheck(None)


@pytest.fixture
def signed_env(env: DialogEnv) -> DialogEnv:
    return replace(env, deep_link_secret=SECRET)


async def test_the_platforms_signed_link_starts_the_complaint_with_the_ownership_check(
    store: FakeStore, signed_env: DialogEnv
) -> None:
    parameter = deep_links.sign(SECRET, "A1001", NOW + timedelta(days=7))
    answer = await Chat(store, signed_env).send(f"/start {parameter}")
    assert answer.keys == ["filing.ask_account"]
    assert answer.params("filing.ask_account")["order_no"] == "A1001"


async def test_an_unsigned_or_forged_link_starts_nothing_and_points_to_complain(
    store: FakeStore, signed_env: DialogEnv
) -> None:
    chat = Chat(store, signed_env)
    for parameter in ("complain_A1001", "complain_A1001_zzzzzz_AAAAAAAAAAAAAAAA"):
        answer = await chat.send(f"/start {parameter}")
        assert answer.keys == ["filing.link_invalid"]
        assert answer.params("filing.link_invalid")["expired"] is False
        assert "/complain" in answer.text("en")
        assert "A1001" not in answer.text("en")  # nothing said of the order named
    # /complain itself still works, with the ownership question.
    assert (await chat.send("/complain A1001")).keys == ["filing.ask_account"]


async def test_an_expired_link_says_it_expired(
    store: FakeStore, signed_env: DialogEnv, clock: ManualClock
) -> None:
    parameter = deep_links.sign(SECRET, "A1001", NOW + timedelta(days=7))
    clock.advance(timedelta(days=7))
    answer = await Chat(store, signed_env).send(f"/start {parameter}")
    assert answer.keys == ["filing.link_invalid"]
    assert "has expired" in answer.text("en")


async def test_a_bad_link_mid_filing_asks_the_open_question_again(
    store: FakeStore, signed_env: DialogEnv
) -> None:
    chat = Chat(store, signed_env)
    await chat.send("/complain A1001")
    answer = await chat.send("/start complain_A1001")
    assert answer.keys == ["filing.link_invalid", "filing.ask_account"]
