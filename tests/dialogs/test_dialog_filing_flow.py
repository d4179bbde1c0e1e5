"""Filing a complaint from the first question to the summary: the path, Back, /cancel, edits."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from cases.model import Reason, RefundKind, RefundMethod
from cases.policy import Policy
from dialogs.draft import Step
from tests.fakes.chat import NOW, Answer, Chat, make_env, make_order, photo, translator
from tests.fakes.filing_script import DESCRIPTION, reach, saved_session, saved_step
from tests.fakes.uow import FakeStore

ALL_STEPS = list(Step)


async def test_complain_asks_for_the_order_number(chat: Chat) -> None:
    answer = await chat.send("/complain")

    assert answer.keys == ["filing.ask_order_no"]
    assert answer.params("filing.ask_order_no")["window_days"] == 7
    assert "f:cancel" in answer.buttons


async def test_complain_with_an_order_number_goes_straight_to_the_account_question(
    chat: Chat,
) -> None:
    answer = await chat.send("/complain A1001")

    assert answer.keys == ["filing.ask_account"]
    assert answer.params("filing.ask_account")["order_no"] == "A1001"


async def test_deep_link_starts_a_complaint_for_the_order(chat: Chat) -> None:
    answer = await chat.send("/start complain_A1001")

    assert answer.keys == ["filing.ask_account"]


async def test_menu_button_starts_a_complaint(chat: Chat) -> None:
    menu = await chat.send("/start")
    assert "m:complain" in menu.buttons

    answer = await chat.click("m:complain")

    assert answer.keys == ["filing.ask_order_no"]


async def test_order_numbers_are_trimmed_and_read_in_upper_case(chat: Chat) -> None:
    await chat.send("/complain")

    answer = await chat.send("  a1001 ")

    assert answer.key == "filing.ask_account"


async def test_the_whole_path_reaches_a_summary_with_every_field(chat: Chat) -> None:
    answer = await reach(chat, Step.SUMMARY)

    params = answer.params("filing.summary")
    assert params["order_no"] == "A1001"
    assert params["reason"] == Reason.NOT_DELIVERED
    assert params["description"] == DESCRIPTION
    assert params["evidence_count"] == 1
    assert params["refund_kind"] == RefundKind.PARTIAL
    assert params["refund_amount"] == 1250
    assert params["refund_method"] == RefundMethod.ORIGINAL
    assert params["currency"] == "CNY"
    edits = [data for data in answer.buttons if data.startswith("f:edit:")]
    assert edits == [
        "f:edit:order", "f:edit:reason", "f:edit:description",
        "f:edit:evidence", "f:edit:refund", "f:edit:method",
    ]
    assert {"f:submit", "f:cancel", "f:back"} <= set(answer.buttons)


async def test_a_full_refund_skips_the_amount_and_asks_for_the_cap(chat: Chat) -> None:
    await reach(chat, Step.REFUND_KIND)

    answer = await chat.click("f:refund:full")

    assert answer.key == "filing.ask_refund_method"
    summary = await chat.click("f:method:balance")
    assert summary.params("filing.summary")["refund_amount"] == 3000
    assert summary.params("filing.summary")["refund_method"] == "balance"


async def test_the_full_refund_is_capped_by_the_policy(store: FakeStore) -> None:
    capped = make_env(policy=Policy(refund_cap_ratio=Decimal("0.9")))
    chat = Chat(store, capped)
    await reach(chat, Step.REFUND_KIND)

    answer = await chat.click("f:refund:full")
    summary = await chat.click("f:method:original")

    assert answer.key == "filing.ask_refund_method"
    assert summary.params("filing.summary")["refund_amount"] == 2700


def button_label(answer: Answer, data: str, locale: str = "zh_CN") -> str:
    [found] = [b for reply in answer for row in reply.buttons for b in row if b.data == data]
    return translator().render(locale, found.label, found.params)


async def test_a_capped_request_is_named_the_most_refundable_not_a_full_refund(
    store: FakeStore,
) -> None:
    chat = Chat(store, make_env(policy=Policy(refund_cap_ratio=Decimal("0.9"))))

    answer = await reach(chat, Step.REFUND_KIND)

    assert button_label(answer, "f:refund:full") == "申请最高可退金额（27.00 元）"
    assert button_label(answer, "f:refund:full", "en").startswith("The most refundable")
    assert "全额" not in answer.text()
    await chat.click("f:refund:full")
    summary = await chat.click("f:method:original")
    assert "退款申请：最高可退金额 27.00 元" in summary.text()
    assert "全额" not in summary.text()


EXAMPLE_CAP = Policy(refund_cap_ratio=Decimal("0.9"), refund_cap_amount=50000)  # the example
RULE_27 = "按平台规则，单笔退款不超过订单金额的 90%，最多 500.00 元，本订单最多可退 27.00 元。"


async def test_where_the_cap_lowers_the_refund_the_buyer_is_told_the_rule(
    store: FakeStore,
) -> None:
    chat = Chat(store, make_env(policy=EXAMPLE_CAP))

    answer = await reach(chat, Step.REFUND_KIND)
    assert RULE_27 in answer.text()
    assert "one refund is at most 90% of the order amount and at most CNY 500.00" in (
        translator().render("en", answer.key, answer[0].params)
    )
    await chat.click("f:refund:partial")
    over = await chat.send("28.00")
    assert RULE_27 in over.text()
    assert "退款金额不能超过这个上限" in over.text()


async def test_the_summary_of_a_capped_request_quotes_the_rule(store: FakeStore) -> None:
    chat = Chat(store, make_env(policy=EXAMPLE_CAP))
    await reach(chat, Step.REFUND_KIND)

    await chat.click("f:refund:full")
    summary = await chat.click("f:method:original")

    assert "退款申请：最高可退金额 27.00 元" in summary.text()
    assert RULE_27 in summary.text()


async def test_where_the_cap_does_not_lower_the_refund_no_rule_is_quoted(chat: Chat) -> None:
    answer = await reach(chat, Step.REFUND_KIND)  # no cap in the default policy

    assert "按平台规则" not in answer.text()
    assert "本订单最多可退：30.00 元" in answer.text()


async def test_an_uncapped_request_is_still_called_a_full_refund(chat: Chat) -> None:
    answer = await reach(chat, Step.REFUND_KIND)

    assert button_label(answer, "f:refund:full") == "全额退款（30.00 元）"


@pytest.mark.parametrize(
    ("step", "previous"),
    [
        (Step.OWNERSHIP, Step.ORDER_NO),
        (Step.REASON, Step.ORDER_NO),
        (Step.DESCRIPTION, Step.REASON),
        (Step.EVIDENCE, Step.DESCRIPTION),
        (Step.REFUND_KIND, Step.EVIDENCE),
        (Step.REFUND_AMOUNT, Step.REFUND_KIND),
        (Step.REFUND_METHOD, Step.REFUND_AMOUNT),
        (Step.SUMMARY, Step.REFUND_METHOD),
    ],
)
async def test_back_returns_to_the_previous_step(chat: Chat, step: Step, previous: Step) -> None:
    await reach(chat, step)

    await chat.click("f:back")

    assert saved_step(chat.store) is previous


async def test_back_from_the_method_after_a_full_refund_returns_to_the_refund_kind(
    chat: Chat,
) -> None:
    await reach(chat, Step.REFUND_KIND)
    await chat.click("f:refund:full")

    answer = await chat.click("f:back")

    assert answer.key == "filing.ask_refund_kind"


async def test_back_at_the_first_step_leaves_to_the_menu(chat: Chat) -> None:
    await chat.send("/complain")

    answer = await chat.click("f:back")

    assert answer.keys == ["filing.left"]
    assert "m:complain" in answer.buttons
    assert saved_session(chat.store).draft is None


async def test_back_to_the_order_keeps_the_verified_account_for_the_same_order(
    chat: Chat,
) -> None:
    await reach(chat, Step.REASON)
    await chat.click("f:back")

    answer = await chat.send("A1001")

    assert answer.key == "filing.ask_reason"


async def test_going_back_keeps_what_was_entered(chat: Chat) -> None:
    await reach(chat, Step.EVIDENCE)

    answer = await chat.click("f:back")

    assert answer.params("filing.ask_description")["current"] == DESCRIPTION
    assert "f:keep" in answer.buttons
    kept = await chat.click("f:keep")
    assert kept.key == "filing.ask_evidence"


async def test_keep_the_partial_amount_after_going_back(chat: Chat) -> None:
    await reach(chat, Step.REFUND_METHOD)
    back = await chat.click("f:back")
    assert back.params("filing.ask_refund_amount")["current_amount"] == 1250

    answer = await chat.click("f:keep")

    assert answer.key == "filing.ask_refund_method"


@pytest.mark.parametrize("step", ALL_STEPS)
async def test_cancel_command_works_at_every_step(chat: Chat, step: Step) -> None:
    await reach(chat, step)

    answer = await chat.send("/cancel")

    assert answer.keys == ["filing.cancelled"]
    assert saved_session(chat.store).draft is None
    assert chat.store.cases == {}


@pytest.mark.parametrize("step", ALL_STEPS)
async def test_cancel_button_works_at_every_step(chat: Chat, step: Step) -> None:
    await reach(chat, step)

    answer = await chat.click("f:cancel")

    assert answer.keys == ["filing.cancelled"]
    assert saved_session(chat.store).draft is None


async def test_cancel_with_nothing_to_cancel_says_so(chat: Chat) -> None:
    answer = await chat.send("/cancel")

    assert answer.keys == ["menu.nothing_to_cancel"]


# --- Editing from the summary ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "step", "answer_kind", "value"),
    [
        ("reason", Step.REASON, "click", "f:reason:quality"),
        ("description", Step.DESCRIPTION, "send", "充值后提示卡密已被使用，商家不回复消息。"),
        ("refund", Step.REFUND_KIND, "click", "f:refund:full"),
        ("method", Step.REFUND_METHOD, "click", "f:method:balance"),
    ],
)
async def test_editing_a_field_returns_to_the_summary(
    chat: Chat, field: str, step: Step, answer_kind: str, value: str
) -> None:
    await reach(chat, Step.SUMMARY)

    asked = await chat.click(f"f:edit:{field}")
    assert saved_step(chat.store) is step
    if answer_kind == "click":
        answer = await chat.click(value)
    else:
        answer = await chat.send(value)

    assert answer.key == "filing.summary"
    assert asked.key != "filing.summary"


async def test_editing_the_refund_to_partial_asks_the_amount_then_returns(chat: Chat) -> None:
    await reach(chat, Step.REFUND_KIND)
    await chat.click("f:refund:full")
    await chat.click("f:method:original")
    await chat.click("f:edit:refund")

    amount = await chat.click("f:refund:partial")
    summary = await chat.send("5")

    assert amount.key == "filing.ask_refund_amount"
    assert summary.key == "filing.summary"
    assert summary.params("filing.summary")["refund_amount"] == 500


async def test_editing_evidence_can_add_more_files(chat: Chat) -> None:
    await reach(chat, Step.SUMMARY)
    manage = await chat.click("f:edit:evidence")
    assert {"f:done", "f:ev:clear"} <= set(manage.buttons)

    await chat.upload(photo(2))
    summary = await chat.click("f:done")

    assert summary.params("filing.summary")["evidence_count"] == 2


async def test_editing_evidence_can_clear_all_but_a_reason_that_needs_files_insists(
    chat: Chat,
) -> None:
    await reach(chat, Step.SUMMARY)
    await chat.click("f:edit:evidence")

    cleared = await chat.click("f:ev:clear")
    refused = await chat.click("f:done")

    assert cleared.keys == ["filing.evidence_cleared", "filing.ask_evidence"]
    assert refused.keys == ["filing.evidence_required"]
    assert saved_step(chat.store) is Step.EVIDENCE


async def test_changing_the_reason_to_one_that_needs_evidence_asks_for_evidence(
    chat: Chat,
) -> None:
    await reach(chat, Step.DESCRIPTION)
    await chat.click("f:back")
    await chat.click("f:reason:other")
    await chat.send(DESCRIPTION)
    await chat.click("f:done")  # "other" needs no evidence
    await chat.click("f:refund:full")
    await chat.click("f:method:original")
    await chat.click("f:edit:reason")

    answer = await chat.click("f:reason:quality")

    assert answer.keys == ["filing.evidence_required", "filing.ask_evidence"]
    assert saved_step(chat.store) is Step.EVIDENCE
    await chat.upload(photo(3))
    summary = await chat.click("f:done")
    assert summary.key == "filing.summary"


async def test_changing_the_reason_to_card_invalid_after_48_hours_is_refused(
    store: FakeStore, chat: Chat
) -> None:
    paid = NOW - timedelta(days=3)
    store.orders["A1001"] = make_order(paid_at=paid, delivered_at=paid + timedelta(minutes=5))
    await reach(chat, Step.SUMMARY)
    await chat.click("f:edit:reason")

    answer = await chat.click("f:reason:card_invalid")

    assert answer.keys == ["filing.reason_window_closed", "filing.ask_reason"]
    assert saved_session(chat.store).draft.reason is Reason.NOT_DELIVERED  # type: ignore[union-attr]


async def test_editing_the_order_checks_the_new_order_and_its_owner(
    store: FakeStore, chat: Chat
) -> None:
    store.orders["B2002"] = make_order("B2002", buyer_account="other_name", amount=1000)
    await reach(chat, Step.SUMMARY)
    await chat.click("f:edit:order")

    ask = await chat.send("B2002")
    assert ask.key == "filing.ask_account"
    answer = await chat.send("OTHER_NAME")

    # The partial amount of 12.50 is above the new order's 10.00: asked again, with the cap.
    assert answer.keys == ["filing.amount_over_cap", "filing.ask_refund_amount"]
    assert answer.params("filing.amount_over_cap")["cap_amount"] == 1000
    summary = await chat.send("8")
    assert summary.params("filing.summary")["order_no"] == "B2002"


async def test_back_while_editing_returns_to_the_summary_unchanged(chat: Chat) -> None:
    await reach(chat, Step.SUMMARY)
    await chat.click("f:edit:description")

    answer = await chat.click("f:back")

    assert answer.key == "filing.summary"
    assert answer.params("filing.summary")["description"] == DESCRIPTION
