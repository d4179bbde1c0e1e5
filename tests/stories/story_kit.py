"""Three personas and a clock the story moves: the buyer, the merchant, staff in their group.

Everything runs as in production — the real dispatcher, storage, outbox sender, deadline worker —
over HTTP against the fake Bot API server; only time is the test's to move.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.deadlines import DeadlineWorker
from cases.audit import verify_chain
from cases.model import Case, CaseStatus, Order, OrderStatus
from dialogs.merchant import token_hash
from tests.bot.harness import BotHarness, Person, bot_harness
from tests.bot.outbox_support import VirtualTime, deliver_all, make_sender
from tests.fakebotapi import FakeBotAPI

CASE_NO = re.compile(r"TS\d{8}-[0-9A-HJKMNP-TV-Z]{5}")
STAFF_GROUP = -1001234567890
BUYER, MERCHANT, AGENT, ARBITRATOR, OUTSIDER = 1001, 2001, 3001, 3002, 3999
TOKEN = "story-merchant-link-token-0001"
PHOTO = b"\xff\xd8\xff\xe0 a screenshot of the card code that says it was already used"


def order_paid(at: datetime) -> Order:
    return Order(
        order_no="KM202611250001",
        buyer_account="lihua_88",
        merchant_code="M1001",
        product="腾讯视频 VIP 月卡 卡密",
        category="card_code",
        amount=10000,
        currency="CNY",
        paid_at=at,
        delivered_at=at + timedelta(minutes=1),
        status=OrderStatus.DELIVERED,
    )


@dataclass
class Story:
    harness: BotHarness
    time: VirtualTime

    # -- personas ------------------------------------------------------------------------------

    @property
    def buyer(self) -> Person:
        return self.harness.user(user_id=BUYER, language_code="zh-hans")

    @property
    def merchant(self) -> Person:
        return self.harness.user(user_id=MERCHANT, language_code="zh-hans")

    def staff(self, user_id: int) -> Person:
        fake = self.harness.api.user(id=user_id, first_name=f"staff{user_id}")
        return Person(self.harness, fake.in_chat(STAFF_GROUP, "supergroup", title="客服群"))

    @property
    def agent(self) -> Person:
        return self.staff(AGENT)

    @property
    def arbitrator(self) -> Person:
        return self.staff(ARBITRATOR)

    # -- time and delivery ---------------------------------------------------------------------

    async def deliver(self) -> None:
        """Sends every due notice, as the outbox sender's loop would."""
        sender = make_sender(self.harness.deps, self.harness.bot, "story", self.time)
        await deliver_all(sender, self.harness.deps.engine, self.time)

    async def advance(self, delta: timedelta) -> None:
        """Moves the clock, fires what fell due on the way (in order), and delivers it."""
        end = self.harness.clock.now() + delta
        worker = DeadlineWorker(self.harness.deps, "story")
        step = timedelta(hours=1)
        while self.harness.clock.now() < end:
            self.harness.clock.set(min(end, self.harness.clock.now() + step))
            while await worker.run_once():
                pass
            await self.deliver()

    async def press(self, person: Person, data: str) -> None:
        """Presses callback data on the person's latest message, whether the bot put it there
        or not: a stale button from an old message, or data a modified client made up."""
        message = person.fake.bot_messages()[-1]
        query = {
            "id": self.harness.api.state.next_callback_query_id(),
            "from": person.fake.as_user(),
            "message": message,
            "chat_instance": "story",
            "data": data,
        }
        await self.harness.feed({"callback_query": query})

    # -- reading the world ---------------------------------------------------------------------

    async def case(self, case_no: str) -> Case:
        async with self.harness.deps.uow() as uow:
            case = await uow.cases.get(case_no)
        assert case is not None
        return case

    async def status(self, case_no: str) -> CaseStatus:
        return (await self.case(case_no)).status

    async def actions(self, case_no: str) -> list[str]:
        async with self.harness.deps.uow() as uow:
            events = await uow.events.list(case_no)
        assert verify_chain(events) is None, "the case history no longer verifies"
        return [event.action for event in events]

    def received(self, chat_id: int) -> list[str]:
        """What a chat has been sent, oldest first, as people read it."""
        return [m.plain_text for m in self.harness.api.sent_messages(chat_id)]

    # -- the usual moves -----------------------------------------------------------------------

    async def file_complaint(self) -> str:
        buyer = self.buyer
        await buyer.send("/complain KM202611250001")
        await buyer.send("LiHua_88")
        await buyer.click("f:reason:card_invalid")
        await buyer.send("卡密显示已被使用，无法兑换会员，联系商家没有回复。")
        await buyer.photo(PHOTO)
        await buyer.click("f:done")
        await buyer.click("f:refund:full")
        await buyer.click("f:method:original")
        await buyer.click("f:submit")
        found = CASE_NO.search(buyer.last_text())
        assert found, buyer.texts()[-3:]
        await self.deliver()
        return found.group(0)

    async def bind_merchant(self) -> None:
        """The operator's `merchants add` stores the link's hash; the merchant opens the link."""
        now = self.harness.clock.now()
        async with self.harness.deps.uow() as uow:
            await uow.merchants.upsert("M1001", "星辰卡铺", now)
            await uow.merchants.set_bind_token("M1001", token_hash(TOKEN), now)
            await uow.commit()
        await self.merchant.send(f"/start m_{TOKEN}")
        assert "星辰卡铺" in self.merchant.last_text()


@asynccontextmanager
async def story(
    tmp_path: Path, api: FakeBotAPI, now: datetime, **settings: Any
) -> AsyncIterator[Story]:
    """A running bot with staff roles, a bound merchant and one paid order."""
    async with bot_harness(tmp_path, api, now, staff_chat_id=STAFF_GROUP, **settings) as running:
        first_run = not (tmp_path / "seeded").exists()
        if first_run:
            await running.add_orders(order_paid(now - timedelta(hours=20)))
            async with running.deps.uow() as uow:
                await uow.staff.set_role(AGENT, "agent", now)
                await uow.staff.set_role(ARBITRATOR, "arbitrator", now)
                await uow.commit()
        told = Story(running, VirtualTime(running.clock))
        if first_run:
            await told.bind_merchant()
            (tmp_path / "seeded").touch()
        yield told
