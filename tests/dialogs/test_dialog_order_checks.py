"""Which orders may be complained about, and who may complain about them."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from cases.clock import ManualClock
from cases.model import Case, CaseStatus, OrderStatus, Reason, RefundMethod
from cases.policy import Policy
from dialogs.context import DialogEnv
from dialogs.draft import Step
from dialogs.support import parse_support_contact
from tests.fakes.chat import NOW, Answer, Chat, make_env, make_order
from tests.fakes.filing_script import reach, saved_session, saved_step
from tests.fakes.uow import FakeStore


def open_case(case_no: str = "TS20261125-7K3Q9", buyer_id: int = 1001, **changes: object) -> Case:
    case = Case(
        case_no=case_no,
        order_no="A1001",
        buyer_id=buyer_id,
        status=CaseStatus.IN_REVIEW,
        reason=Reason.NOT_DELIVERED,
        description="商家一直没有发货，客服也联系不上。",
        refund_amount=3000,
        refund_method=RefundMethod.ORIGINAL,
        currency="CNY",
        created_at=NOW - timedelta(hours=2),
        updated_at=NOW - timedelta(hours=1),
        review_due_at=NOW + timedelta(days=5),
    )
    return replace(case, **changes)  # type: ignore[arg-type]


async def test_an_unknown_order_is_refused_and_asked_again(chat: Chat) -> None:
    await chat.send("/complain")

    answer = await chat.send("NOPE42")

    assert answer.keys == ["filing.order_unknown"]
    assert answer.params("filing.order_unknown")["order_no"] == "NOPE42"
    assert saved_step(chat.store) is Step.ORDER_NO
    assert (await chat.send("A1001")).key == "filing.ask_account"


async def test_an_order_paid_more_than_7_days_ago_is_refused_with_the_closing_date(
    store: FakeStore, chat: Chat
) -> None:
    paid = NOW - timedelta(days=7, minutes=1)
    store.orders["A1001"] = make_order(paid_at=paid, delivered_at=paid)
    await chat.send("/complain")

    answer = await chat.send("A1001")

    params = answer.params("filing.order_window_closed")
    assert params["closed_at"] == paid + timedelta(days=7)
    assert params["window_days"] == 7
    assert saved_step(chat.store) is Step.ORDER_NO
    assert "2026-11-26" in answer.text("zh_CN")


async def test_a_refunded_order_is_refused(store: FakeStore, chat: Chat) -> None:
    store.orders["A1001"] = make_order(status=OrderStatus.REFUNDED)

    answer = await chat.send("/complain A1001")

    assert answer.keys == ["filing.order_refunded"]


async def choose_reason_for_a_custom_order(store: FakeStore, chat: Chat, reason: str) -> Answer:
    store.orders["A1001"] = make_order(category="custom", product="定制头像")
    await reach(chat, Step.REASON)
    return await chat.click(f"f:reason:{reason}")


async def test_custom_goods_are_refused_for_a_changed_mind_quoting_the_law(
    store: FakeStore, chat: Chat
) -> None:
    answer = await choose_reason_for_a_custom_order(store, chat, "not_satisfied")

    assert answer.keys == ["filing.reason_custom", "filing.ask_reason"]
    zh = answer.text("zh_CN")
    assert "定制商品不能以“不满意”为由申请退款" in zh
    assert "《消费者权益保护法》第二十五条" in zh
    assert "不适用七日无理由退货" in zh
    assert "未发货或未到账" in zh  # what a custom order can still be complained about
    assert "article 25 of the Consumer Rights Protection Law" in answer.text("en")
    assert saved_step(store, chat.user_id) is Step.REASON


async def test_a_custom_order_that_never_arrived_can_still_be_complained_about(
    store: FakeStore, chat: Chat
) -> None:
    answer = await choose_reason_for_a_custom_order(store, chat, "not_delivered")

    assert "filing.reason_custom" not in answer.keys
    assert saved_step(store, chat.user_id) is Step.DESCRIPTION


async def test_a_policy_that_refuses_custom_goods_for_every_reason_refuses_the_order(
    store: FakeStore,
) -> None:
    store.orders["A1001"] = make_order(category="custom", product="定制头像")
    policy = Policy(custom_goods_refused_reasons=frozenset(Reason))
    chat = Chat(store, make_env(policy=policy))

    answer = await chat.send("/complain A1001")

    assert answer.keys == ["filing.order_custom"]
    assert "按本平台规则，<b>定制商品不受理退款投诉</b>" in answer.text("zh_CN")
    assert "no refund complaint is accepted for custom-made goods" in answer.text("en")


async def test_an_order_with_an_open_case_shows_that_case_instead(
    store: FakeStore, chat: Chat
) -> None:
    store.cases["TS20261125-7K3Q9"] = open_case()

    answer = await chat.send("/complain A1001")

    params = answer.params("filing.order_has_open_case")
    assert params == {"case_no": "TS20261125-7K3Q9", "status": "in_review"}
    assert "s:TS20261125-7K3Q9" in answer.buttons
    assert len(store.cases) == 1


async def test_an_open_case_of_another_telegram_user_is_not_revealed(
    store: FakeStore, chat: Chat
) -> None:
    store.cases["TS20261125-7K3Q9"] = open_case(buyer_id=999)

    answer = await chat.send("/complain A1001")

    assert answer.keys == ["filing.order_open_case_other"]
    assert "TS20261125-7K3Q9" not in answer.text("zh_CN")
    # No support contact is set: the buyer is told what the bot itself can do, not sent nowhere.
    assert "/mycases" in answer.text("zh_CN")
    assert "联系平台客服" not in answer.text("zh_CN")


async def test_an_open_case_of_another_account_quotes_the_support_contact(store: FakeStore) -> None:
    store.cases["TS20261125-7K3Q9"] = open_case(buyer_id=999)
    env = replace(make_env(), support=parse_support_contact("@kameng_kefu"))

    answer = await Chat(store, env).send("/complain A1001")

    zh, en = answer.text("zh_CN"), answer.text("en")
    assert '联系平台客服：<a href="https://t.me/kameng_kefu">@kameng_kefu</a>' in zh
    assert '<a href="https://t.me/kameng_kefu">@kameng_kefu</a>' in en


async def test_a_closed_case_does_not_block_a_new_complaint(store: FakeStore, chat: Chat) -> None:
    store.cases["TS20261125-7K3Q9"] = open_case(status=CaseStatus.WITHDRAWN)

    answer = await chat.send("/complain A1001")

    assert answer.key == "filing.ask_account"


async def test_card_code_invalid_within_48_hours_of_delivery_is_accepted(chat: Chat) -> None:
    await reach(chat, Step.REASON)

    answer = await chat.click("f:reason:card_invalid")

    assert answer.key == "filing.ask_description"


async def test_card_code_invalid_after_48_hours_is_refused_with_the_rule(
    store: FakeStore, chat: Chat
) -> None:
    delivered = NOW - timedelta(hours=48, minutes=1)
    store.orders["A1001"] = make_order(paid_at=delivered, delivered_at=delivered)
    await reach(chat, Step.REASON)

    answer = await chat.click("f:reason:card_invalid")

    assert answer.keys == ["filing.reason_window_closed", "filing.ask_reason"]
    assert answer.params("filing.reason_window_closed")["card_hours"] == 48
    other = await chat.click("f:reason:quality")
    assert other.key == "filing.ask_description"


# --- Ownership ------------------------------------------------------------------------------


async def test_the_account_is_compared_ignoring_case_and_spaces(chat: Chat) -> None:
    await reach(chat, Step.OWNERSHIP)

    answer = await chat.send("  BUYER_one  ")

    assert answer.key == "filing.ask_reason"


async def test_a_wrong_account_says_how_many_attempts_are_left_and_never_the_right_one(
    chat: Chat,
) -> None:
    await reach(chat, Step.OWNERSHIP)

    answer = await chat.send("someone_else")

    assert answer.keys == ["filing.account_wrong"]
    assert answer.params("filing.account_wrong") == {"attempts_left": 2}
    for locale in ("zh_CN", "en"):
        assert "Buyer_One" not in answer.text(locale)


async def test_three_wrong_answers_lock_the_order_for_an_hour(chat: Chat) -> None:
    await reach(chat, Step.OWNERSHIP)
    await chat.send("wrong1")
    await chat.send("wrong2")

    locked = await chat.send("wrong3")

    assert locked.keys == ["filing.ownership_locked", "filing.ask_order_no"]
    assert locked.params("filing.ownership_locked")["locked_until"] == NOW + timedelta(hours=1)
    again = await chat.send("A1001")
    assert again.keys == ["filing.ownership_locked"]


async def test_the_lock_survives_cancel_and_a_restart(chat: Chat) -> None:
    await reach(chat, Step.OWNERSHIP)
    for answer in ("wrong1", "wrong2", "wrong3"):
        await chat.send(answer)
    await chat.send("/cancel")

    restarted = chat.restart()
    answer = await restarted.send("/complain A1001")

    assert answer.keys == ["filing.ownership_locked"]


async def test_the_right_account_is_refused_while_locked(store: FakeStore, chat: Chat) -> None:
    await reach(chat, Step.OWNERSHIP)
    # Locked meanwhile (e.g. from a second device answering for the same draft).
    store.failures[(1001, "A1001")] = [NOW - timedelta(minutes=3 - n) for n in range(3)]

    answer = await chat.send("Buyer_One")

    assert answer.keys == ["filing.ownership_locked", "filing.ask_order_no"]


async def test_the_lock_expires_after_an_hour(chat: Chat, clock: ManualClock) -> None:
    await reach(chat, Step.OWNERSHIP)
    for answer in ("wrong1", "wrong2", "wrong3"):
        await chat.send(answer)

    clock.advance(timedelta(minutes=59))
    still = await chat.send("A1001")
    clock.advance(timedelta(minutes=1))
    asked = await chat.send("A1001")
    wrong = await chat.send("wrong4")

    assert still.keys == ["filing.ownership_locked"]
    assert asked.key == "filing.ask_account"
    assert wrong.params("filing.account_wrong") == {"attempts_left": 2}
    assert (await chat.send("buyer_one")).key == "filing.ask_reason"


async def test_the_lock_is_per_telegram_user(store: FakeStore, env: DialogEnv) -> None:
    guesser, owner = Chat(store, env, user_id=666), Chat(store, env, user_id=1001)
    await guesser.send("/complain A1001")
    for answer in ("wrong1", "wrong2", "wrong3"):
        await guesser.send(answer)

    await owner.send("/complain A1001")
    answer = await owner.send("Buyer_One")

    assert answer.key == "filing.ask_reason"


async def test_an_overlong_account_answer_is_not_counted(chat: Chat) -> None:
    await reach(chat, Step.OWNERSHIP)

    answer = await chat.send("x" * 5000)

    assert answer.keys == ["filing.account_invalid"]
    assert chat.store.failures == {}


async def test_a_right_answer_clears_earlier_failures(chat: Chat) -> None:
    await reach(chat, Step.OWNERSHIP)
    await chat.send("wrong1")
    await chat.send("Buyer_One")

    assert chat.store.failures == {}
    assert saved_session(chat.store).draft.verified  # type: ignore[union-attr]
