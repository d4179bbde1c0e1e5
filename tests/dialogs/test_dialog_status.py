"""'Where is my case?': /status, a bare case number, /mycases, and who may see a case."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from cases.model import Case, CaseStatus, Reason, RefundMethod
from dialogs.context import DialogEnv
from tests.fakes.chat import NOW, SHANGHAI, Chat
from tests.fakes.uow import FakeStore

CASE_NO = "TS20261125-7K3Q9"


def a_case(case_no: str = CASE_NO, buyer_id: int = 1001, **changes: object) -> Case:
    case = Case(
        case_no=case_no,
        order_no="A1001",
        buyer_id=buyer_id,
        status=CaseStatus.IN_REVIEW,
        reason=Reason.CARD_INVALID,
        description="充值时提示卡密已被使用。",
        refund_amount=3000,
        refund_method=RefundMethod.BALANCE,
        currency="CNY",
        created_at=NOW - timedelta(hours=2),
        updated_at=NOW - timedelta(hours=1),
        review_due_at=NOW + timedelta(days=4, hours=14),  # midnight, 1 Dec → shown as 30 Nov
        evidence_count=2,
    )
    return replace(case, **changes)  # type: ignore[arg-type]


@pytest.fixture
def with_case(store: FakeStore) -> FakeStore:
    store.cases[CASE_NO] = a_case()
    return store


async def test_status_shows_the_case_to_its_buyer(with_case: FakeStore, chat: Chat) -> None:
    answer = await chat.send(f"/status {CASE_NO}")

    params = answer.params("status.case")
    assert params["case_no"] == CASE_NO
    assert params["status"] == "in_review"
    assert params["reason"] == "card_invalid"
    assert params["refund_amount"] == 3000
    assert params["refund_method"] == "balance"
    assert params["next_deadline"] == datetime(2026, 12, 1, tzinfo=SHANGHAI)
    assert "审核中" in answer.text("zh_CN")
    assert "平台余额" in answer.text("zh_CN")


@pytest.mark.parametrize("text", [CASE_NO, CASE_NO.lower(), f"  {CASE_NO} ", "ts20261125 - 7k3q9"])
async def test_a_message_that_is_only_a_case_number_is_answered_as_status(
    with_case: FakeStore, chat: Chat, text: str
) -> None:
    answer = await chat.send(text)

    assert answer.keys == ["status.case"]


async def test_status_without_a_number_asks_for_it(with_case: FakeStore, chat: Chat) -> None:
    ask = await chat.send("/status")
    wrong = await chat.send("my order")
    answer = await chat.send(CASE_NO)

    assert ask.keys == ["status.ask"]
    assert wrong.keys == ["status.bad_number"]
    assert answer.keys == ["status.case"]


async def test_a_malformed_number_is_explained(chat: Chat) -> None:
    answer = await chat.send("/status 12345")

    assert answer.keys == ["status.bad_number"]


async def test_staff_see_any_case(with_case: FakeStore, env: DialogEnv) -> None:
    with_case.staff[42] = "agent"

    answer = await Chat(with_case, env, user_id=42).send(f"/status {CASE_NO}")

    assert answer.keys == ["status.case"]


async def test_a_stranger_gets_exactly_the_reply_for_a_number_that_does_not_exist(
    with_case: FakeStore, env: DialogEnv
) -> None:
    stranger = Chat(with_case, env, user_id=666)

    hidden = await stranger.send(f"/status {CASE_NO}")
    del with_case.cases[CASE_NO]
    missing = await stranger.send(f"/status {CASE_NO}")

    assert hidden == missing
    assert hidden.keys == ["status.not_found"]
    assert hidden.text("zh_CN") == missing.text("zh_CN")


async def test_the_case_button_obeys_the_same_visibility(
    with_case: FakeStore, env: DialogEnv
) -> None:
    answer = await Chat(with_case, env, user_id=666).click(f"s:{CASE_NO}")

    assert answer.keys == ["status.not_found"]


async def test_a_decided_case_has_no_next_deadline(store: FakeStore, chat: Chat) -> None:
    store.cases[CASE_NO] = a_case(status=CaseStatus.REFUNDED)

    answer = await chat.send(CASE_NO)

    assert answer.params("status.case")["next_deadline"] is None
    assert "已退款" in answer.text("zh_CN")


async def test_mycases_lists_the_latest_ten_newest_first(store: FakeStore, chat: Chat) -> None:
    for n in range(12):
        case_no = f"TS20261125-{n:05d}"
        store.cases[case_no] = a_case(
            case_no, created_at=NOW - timedelta(hours=12 - n), order_no=f"O{n}"
        )
    store.cases["TS20261125-ZZZZZ"] = a_case("TS20261125-ZZZZZ", buyer_id=777)

    answer = await chat.send("/mycases")

    params = answer.params("status.mycases")
    listed = [item["case_no"] for item in params["cases"]]
    assert listed == [f"TS20261125-{n:05d}" for n in range(11, 1, -1)]
    assert params["count"] == 10
    assert all(item["status"] == "in_review" for item in params["cases"])
    assert params["cases"][0]["next_deadline"] == datetime(2026, 12, 1, tzinfo=SHANGHAI)
    assert answer.buttons == [f"s:{case_no}" for case_no in listed]


async def test_mycases_without_cases_offers_to_file_one(chat: Chat) -> None:
    answer = await chat.send("/mycases")

    assert answer.keys == ["status.mycases_empty"]
    assert answer.buttons == ["m:complain"]


async def test_status_during_a_filing_answers_then_asks_the_step_again(
    with_case: FakeStore, chat: Chat
) -> None:
    await chat.send("/complain")

    answer = await chat.send(f"/status {CASE_NO}")
    usage = await chat.send("/status")

    assert answer.keys == ["status.case", "filing.ask_order_no"]
    assert usage.keys == ["status.usage", "filing.ask_order_no"]


async def test_mycases_during_a_filing_asks_the_step_again(chat: Chat) -> None:
    await chat.send("/complain")

    answer = await chat.send("/mycases")

    assert answer.keys == ["status.mycases_empty", "filing.ask_order_no"]


async def test_a_case_number_sent_instead_of_an_order_number_is_answered(
    with_case: FakeStore, chat: Chat
) -> None:
    await chat.send("/complain")

    answer = await chat.send(CASE_NO.lower())

    assert answer.keys == ["status.case", "filing.ask_order_no"]


async def test_cancel_while_asked_for_a_case_number_stops_asking(
    with_case: FakeStore, chat: Chat
) -> None:
    await chat.send("/status")

    cancelled = await chat.send("/cancel")
    answer = await chat.send("hello")

    assert cancelled.keys == ["menu.cancelled"]
    assert answer.keys == ["menu.unknown_text"]
