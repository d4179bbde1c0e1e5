"""Forged callback data through the real bot: the wrong person's press changes nothing.

Beyond the forged-presses story (an outsider approving in the group, a buyer or merchant sending
staff data): another merchant answering a case, a stranger acting on a buyer's case, a non-staff
user using every staff button and command in private, and an agent whose role was revoked
between the question and the answer. After each, the case's status and history are as before,
nothing was queued for anyone, and no message or file went to any other chat. A case number
that is not one's own is answered exactly as a number that does not exist.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from cases.model import CaseStatus
from sandbox.botapi import FakeBotAPI
from tests.bot.harness import BotHarness, Person, bot_harness
from tests.bot.hostile_kit import UNKNOWN_CASE
from tests.bot.hostile_scenes import NOW, STAFF_GROUP, World, file_until, order
from tests.bot.outbox_support import outbox_rows

ORDER_NO = "KM202611250001"
BUYER, STRANGER, MERCHANT, OTHER_MERCHANT, AGENT, OUTSIDER = 1001, 4004, 2001, 2002, 3001, 3999
NOT_STAFF = "此操作仅限平台工作人员，未做任何更改。"
STAFF_DATA = ("take", "ev", "req", "mer", "appf", "appp", "rej", "rb", "rm", "paid", "note", "card")
BUYER_DATA = ("ev", "evd", "acc", "dec", "esc", "wd", "wdy", "file")
MERCHANT_DATA = ("acc", "off", "rej", "ev")
LOOKUP_WINDOW = timedelta(minutes=10, seconds=1)


@dataclass(frozen=True)
class Snapshot:
    status: CaseStatus
    events: int
    queued: int


@dataclass
class Bench:
    world: World
    case_no: str

    @property
    def harness(self) -> BotHarness:
        return self.world.harness

    async def snapshot(self, actor: Person | None = None) -> Snapshot:
        """The case's status and history, and the messages queued for anyone but `actor`."""
        async with self.harness.deps.uow() as uow:
            case = await uow.cases.get(self.case_no)
            events = await uow.events.list(self.case_no)
        assert case is not None
        rows = await outbox_rows(self.harness.deps.engine)
        mine = None if actor is None else actor.fake.chat_id
        return Snapshot(case.status, len(events), sum(1 for r in rows if r.chat_id != mine))

    async def forge(self, person: Person, data: str) -> None:
        await person.feed(person.fake.build_forged_click(data))

    def only_to(self, person: Person, since: int) -> None:
        """Nothing the bot did since `since` reached a chat other than the person's."""
        calls = self.harness.api.calls()[since:]
        others = {str(c.params["chat_id"]) for c in calls if "chat_id" in c.params}
        assert others <= {str(person.fake.chat_id)}, others

    async def same_as_unknown(self, person: Person, data: str) -> str:
        """Presses `data` for this case and for a number that does not exist; same answer.

        Both count as misses, and five in ten minutes pause look-ups: the clock moves past the
        window first, so each pair is answered by the ownership check, not by the limit.
        """
        self.harness.clock.advance(LOOKUP_WINDOW)
        await self.forge(person, data.replace("{n}", UNKNOWN_CASE))
        unknown = person.messages()[-1]
        await self.forge(person, data.replace("{n}", self.case_no))
        foreign = person.messages()[-1]
        assert foreign.text.replace(self.case_no, "#") == unknown.text.replace(UNKNOWN_CASE, "#")
        assert foreign.reply_markup == unknown.reply_markup
        return foreign.plain_text


@pytest.fixture
async def bench(tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[Bench]:
    """A case about MERCHANT's order, waiting for MERCHANT's answer; OTHER_MERCHANT has a shop."""
    async with bot_harness(tmp_path, fake_api, NOW, staff_chat_id=STAFF_GROUP) as harness:
        world = World(harness)
        await harness.add_orders(order(ORDER_NO, merchant_code="M1"))
        await world.merchant("M1", MERCHANT)
        await world.merchant("M2", OTHER_MERCHANT)
        case_no = await file_until(world.private(BUYER), ORDER_NO, "submitted")
        assert case_no is not None
        await world.staff(AGENT)
        agent = world.grouped(AGENT)
        await agent.send(f"/take {case_no}")
        await agent.send(f"/tomerchant {case_no}")
        bench = Bench(world, case_no)
        assert (await bench.snapshot()).status is CaseStatus.AWAITING_MERCHANT
        yield bench


async def test_another_merchant_can_neither_answer_nor_see_the_case(bench: Bench) -> None:
    other = bench.world.private(OTHER_MERCHANT)
    before, since = await bench.snapshot(other), bench.harness.api.mark()
    for action in MERCHANT_DATA:
        answer = await bench.same_as_unknown(other, f"mc:{action}:{{n}}")
        assert "没有找到" in answer, action
    await other.send("0.01")  # not an offer: nothing was asked of this merchant
    await other.send("买家已经使用了卡密，不予退款。")
    await other.send(f"/status {bench.case_no}")
    assert "没有找到" in other.last_text()
    assert bench.harness.api.calls("sendPhoto") == []  # the buyer's evidence stayed private
    bench.only_to(other, since)
    assert await bench.snapshot(other) == before


async def test_a_stranger_cannot_act_on_a_buyers_case(bench: Bench) -> None:
    stranger = bench.world.private(STRANGER)
    await stranger.send("/start")
    before, since = await bench.snapshot(stranger), bench.harness.api.mark()
    for action in BUYER_DATA:
        answer = await bench.same_as_unknown(stranger, f"b:{action}:{{n}}")
        assert "没有找到" in answer, action
    await bench.same_as_unknown(stranger, "s:{n}")
    await stranger.send(f"/evidence {bench.case_no}")
    assert "没有找到" in stranger.last_text()
    assert bench.harness.api.calls("sendDocument") == []  # no case file for a stranger
    bench.only_to(stranger, since)
    assert await bench.snapshot(stranger) == before


@pytest.mark.parametrize("user_id", [BUYER, MERCHANT, STRANGER])
async def test_no_staff_button_or_command_works_in_private_for_non_staff(
    bench: Bench, user_id: int
) -> None:
    """The case's own buyer and merchant are no more staff than a stranger is."""
    person = bench.world.private(user_id)
    await person.send("/start")
    before, since = await bench.snapshot(person), bench.harness.api.mark()
    for action in STAFF_DATA:
        await bench.forge(person, f"st:{action}:{bench.case_no}")
        assert NOT_STAFF in person.last_text(), action
    for command in ("take", "approve", "case", "paid", "tomerchant"):
        await person.send(f"/{command} {bench.case_no}")
        assert NOT_STAFF in person.last_text(), command
    await person.send(f"/reject {bench.case_no} 证据不足，驳回。")
    await person.send(f"/note {bench.case_no} 内部备注")
    await person.send("证据不足，驳回。")  # no reason was asked of them
    bench.only_to(person, since)
    assert await bench.snapshot(person) == before


async def test_a_group_member_who_is_not_staff_gets_no_card_no_evidence_and_no_question(
    bench: Bench,
) -> None:
    outsider = bench.world.grouped(OUTSIDER)
    before, since = await bench.snapshot(outsider), bench.harness.api.mark()
    for action in STAFF_DATA:
        await bench.forge(outsider, f"st:{action}:{bench.case_no}")
        alert = bench.harness.api.calls("answerCallbackQuery")[-1].params
        assert alert.get("text") == NOT_STAFF, action
        assert alert.get("show_alert") is True
    await outsider.send("证据不足，驳回。")  # chatter, not an answer to anything
    assert bench.harness.api.calls("sendPhoto") == []
    # The group's own notices of the case went out before (with the agent's answers); since,
    # nothing about the case reached it.
    shown = [str(c.params.get("text")) for c in bench.harness.api.calls()[since:] if c.ok]
    assert not any(bench.case_no in text and "订单" in text for text in shown)
    bench.only_to(outsider, since)
    assert await bench.snapshot(outsider) == before


async def test_an_agent_whose_role_is_revoked_cannot_answer_the_question_asked_before(
    bench: Bench,
) -> None:
    agent = bench.world.grouped(AGENT)
    await agent.send(f"/case {bench.case_no}")
    await agent.click(f"st:note:{bench.case_no}")
    assert bench.case_no in agent.last_text()
    async with bench.harness.deps.uow() as uow:
        assert await uow.staff.remove(AGENT)
        await uow.commit()
    before, since = await bench.snapshot(agent), bench.harness.api.mark()
    await agent.send("已和商家电话沟通，同意退款。")
    assert NOT_STAFF in agent.last_text()
    await agent.click(f"st:appf:{bench.case_no}")  # the card's button, still on screen
    assert bench.harness.api.calls("answerCallbackQuery")[-1].params.get("text") == NOT_STAFF
    bench.only_to(agent, since)
    assert await bench.snapshot(agent) == before
