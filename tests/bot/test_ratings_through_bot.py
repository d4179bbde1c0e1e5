"""Satisfaction ratings through the real bot: asked once when a case finishes, answered once.

The question is queued with the closing notice and delivered by the real outbox sender; the buyer
presses its buttons and writes the comment like any Telegram user.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from cases.lifecycle import Action
from cases.workflow import perform
from sandbox.botapi import FakeBotAPI
from storage.models import OutboxRow
from tests.bot.harness import BotHarness, Person, bot_harness
from tests.bot.test_deletemydata_through_dispatcher import _confirm_data as confirm_data
from tests.bot.test_deletemydata_through_dispatcher import forge
from tests.bot.test_filing_through_dispatcher import NOW, file_complaint, order
from tests.bot.test_merchant_through_dispatcher import deliver_notices

AGENT, ARBITRATOR, STRANGER = 3001, 3002, 4004
RATE_QUESTION = "请为投诉处理打分"


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI):  # type: ignore[no-untyped-def]
    async with bot_harness(tmp_path, fake_api, NOW) as running:
        await running.add_orders(order())
        async with running.deps.uow() as uow:
            await uow.staff.set_role(AGENT, "agent", NOW)
            await uow.staff.set_role(ARBITRATOR, "arbitrator", NOW)
            await uow.commit()
        yield running


async def move(
    harness: BotHarness, case_no: str, action: Action, user: int, **options: object
) -> None:
    """A staff move, as the staff dialog makes it, in its own transaction."""
    deps = harness.deps
    async with deps.uow() as uow:
        await perform(
            uow,
            deps.clock,
            deps.policy,
            deps.calendar,
            deps.notifier,
            case_no,
            action,
            user,
            **options,  # type: ignore[arg-type]
        )
        await uow.commit()
    await deliver_notices(harness)


async def refunded_case(harness: BotHarness, buyer: Person) -> str:
    case_no = await file_complaint(buyer)
    await move(harness, case_no, Action.TAKE, AGENT)
    await move(harness, case_no, Action.APPROVE_REFUND, AGENT, amount=10000)
    await move(harness, case_no, Action.CONFIRM_REFUND, AGENT)
    return case_no


async def rated_case(harness: BotHarness, buyer: Person, score: int) -> str:
    """A refunded case the buyer has just given `score`; the bot waits for the comment."""
    case_no = await refunded_case(harness, buyer)
    await buyer.click(f"b:rate:{case_no}:{score}")
    return case_no


async def rating_of(harness: BotHarness, case_no: str):  # type: ignore[no-untyped-def]
    async with harness.deps.uow() as uow:
        return await uow.ratings.get(case_no)


def questions(buyer: Person) -> list[str]:
    return [text for text in buyer.texts() if RATE_QUESTION in text]


async def test_a_refunded_case_asks_once_and_takes_one_score_and_an_escaped_comment(
    harness: BotHarness,
) -> None:
    buyer = harness.user()
    case_no = await refunded_case(harness, buyer)
    assert "退款已完成" in buyer.texts()[-2]  # the closing notice, then the question
    assert RATE_QUESTION in buyer.last_text()
    assert buyer.last_buttons() == ["1 分", "2 分", "3 分", "4 分", "5 分"]

    await buyer.click(f"b:rate:{case_no}:4")
    assert "打了 4 分" in buyer.last_text()
    await buyer.send("<b>处理很快</b> & 谢谢")
    sent = buyer.messages()[-1]
    assert "&lt;b&gt;处理很快&lt;/b&gt; &amp; 谢谢" in sent.text  # shown as typed, not as markup
    rating = await rating_of(harness, case_no)
    assert (rating.score, rating.comment, rating.staff_id) == (4, "<b>处理很快</b> & 谢谢", AGENT)

    await forge(buyer, f"b:rate:{case_no}:1")  # a second press, before the buttons went
    assert "已经评过分了（4 分）" in buyer.last_text()
    await buyer.send("再说一句")  # no longer a comment
    assert (await rating_of(harness, case_no)).comment == "<b>处理很快</b> & 谢谢"
    assert len(questions(buyer)) == 1


async def test_a_withdrawn_case_asks_nothing(harness: BotHarness) -> None:
    buyer = harness.user()
    case_no = await file_complaint(buyer)
    await forge(buyer, f"b:wd:{case_no}")
    await buyer.click(f"b:wdy:{case_no}")
    await deliver_notices(harness)
    assert questions(buyer) == []
    assert await rating_of(harness, case_no) is None
    await forge(buyer, f"b:rate:{case_no}:5")
    assert "没有评分邀请" in buyer.last_text()


async def test_a_press_is_checked_for_the_buyer_and_the_finished_case(
    harness: BotHarness,
) -> None:
    buyer = harness.user()
    case_no = await file_complaint(buyer)
    await forge(buyer, f"b:rate:{case_no}:5")  # made up while the case is open
    assert "尚未结案" in buyer.last_text()
    await move(harness, case_no, Action.TAKE, AGENT)
    await move(harness, case_no, Action.REJECT, AGENT, note="订单已正常发货")
    assert RATE_QUESTION in buyer.last_text()  # a rejection finishes the case too

    stranger = harness.user(user_id=STRANGER)
    await stranger.send("/start")
    await forge(stranger, f"b:rate:{case_no}:1")
    assert "没有找到投诉编号" in stranger.last_text()
    await forge(buyer, f"b:rate:{case_no}:9")
    await forge(buyer, f"b:rate:{case_no}:x")
    assert (await rating_of(harness, case_no)).score is None
    await forge(buyer, f"b:rate:{case_no}:2")
    assert (await rating_of(harness, case_no)).score == 2


async def test_a_case_reopened_by_escalation_is_not_asked_again(harness: BotHarness) -> None:
    buyer = harness.user()
    case_no = await file_complaint(buyer)
    await move(harness, case_no, Action.TAKE, AGENT)
    await move(harness, case_no, Action.REJECT, AGENT, note="订单已正常发货")
    await buyer.click(f"b:esc:{case_no}")  # ignores the question, escalates instead
    await deliver_notices(harness)
    await move(harness, case_no, Action.RULE_FOR_MERCHANT, ARBITRATOR, note="商家已证明发货")
    assert len(questions(buyer)) == 1
    async with harness.deps.uow() as uow:
        rating = await uow.ratings.get(case_no)
    assert rating is not None
    assert rating.score is None
    assert rating.staff_id == AGENT  # held responsible when asked, at the rejection
    await buyer.click(f"b:rate:{case_no}:3")  # the one question still works once closed
    assert (await rating_of(harness, case_no)).score == 3


async def test_while_commenting_other_updates_get_their_usual_answer(
    harness: BotHarness,
) -> None:
    buyer = harness.user()
    case_no = await rated_case(harness, buyer, 5)
    await buyer.feed(buyer.fake.build_sticker())
    assert "请用文字发送" in buyer.last_text()
    await buyer.photo(b"\xff\xd8\xff\xe0 not a comment")
    assert "请用文字发送" in buyer.last_text()
    await buyer.send("好" * 501)
    assert "最多 500 字" in buyer.last_text()
    await buyer.send("/mycases")
    assert case_no in buyer.last_text()  # answered as ever; the comment is no longer awaited
    await buyer.send("这不是意见")
    assert (await rating_of(harness, case_no)).comment is None


async def test_skip_leaves_the_score_without_a_comment(harness: BotHarness) -> None:
    buyer = harness.user()
    case_no = await rated_case(harness, buyer, 2)
    await buyer.click(f"b:rsk:{case_no}")
    assert "不留意见" in buyer.last_text()
    await buyer.send("随便说点")
    rating = await rating_of(harness, case_no)
    assert (rating.score, rating.comment) == (2, None)


async def test_deletemydata_removes_the_comment_and_keeps_the_score(
    harness: BotHarness,
) -> None:
    buyer = harness.user()
    case_no = await rated_case(harness, buyer, 4)
    await buyer.send("商家态度不好，手机 13800000000")
    await buyer.send("/deletemydata")
    await buyer.click(await confirm_data(buyer))
    rating = await rating_of(harness, case_no)
    assert (rating.score, rating.comment) == (4, None)


async def test_the_question_is_one_outbox_row_in_the_buyers_language(harness: BotHarness) -> None:
    buyer = harness.user(user_id=1002, language_code="en")
    await harness.add_orders(order("KM202611250009"))
    case_no = await file_complaint(buyer, "KM202611250009")
    await move(harness, case_no, Action.TAKE, AGENT)
    await move(harness, case_no, Action.REJECT, AGENT, note="delivered")
    assert "Please rate how we handled your case" in buyer.last_text()
    assert buyer.last_buttons() == ["1 ★", "2 ★", "3 ★", "4 ★", "5 ★"]
    async with harness.deps.uow() as uow:
        session = uow.outbox._session  # type: ignore[attr-defined]
        count = await session.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.key == f"rate:{case_no}")
        )
    assert count == 1
