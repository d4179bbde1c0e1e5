"""Puts a fresh person into one dialog state through the real bot, for the hostile-update tests.

Every scene gets its own buyer, order, merchant and staff member (fresh ids from one counter),
so the examples Hypothesis draws share the bot and its database but never each other's state.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from dialogs.merchant import token_hash
from dialogs.session import parse_session
from tests.bot.harness import BotHarness, Person
from tests.bot.test_filing_through_dispatcher import CASE_NO, NOW, order
from tests.bot.test_merchant_through_dispatcher import deliver_notices

STAFF_GROUP = -1009876543210
OTHER_GROUP = -1005550001
DESCRIPTION = "付款后一直没有收到充值卡，联系商家也没有回复。"
PHOTO = b"\xff\xd8\xff\xe0 a payment screenshot"


@dataclass
class Scene:
    """The person who acts, someone else in a chat of the same kind, and the cases in play."""

    person: Person
    stranger: Person
    own_case: str | None
    in_group: bool


@dataclass
class World:
    """One bot and database for a whole test; each scene draws fresh ids from `ids`."""

    harness: BotHarness
    foreign_case: str = ""
    outbox_checked: int = 0  # the last outbox row whose message was checked
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def private(self, user_id: int) -> Person:
        return self.harness.user(user_id=user_id)

    def grouped(self, user_id: int, chat_id: int = STAFF_GROUP) -> Person:
        fake = self.harness.api.user(id=user_id, first_name=f"u{user_id}", language_code="zh-hans")
        return Person(self.harness, fake.in_chat(chat_id, "supergroup", title="客服群"))

    async def pending_in(self, person: Person) -> bool:
        """Whether the person owes the bot an answer in the chat they act in."""
        async with self.harness.deps.uow() as uow:
            raw = await uow.drafts.load(person.id)
        session = parse_session(raw) if raw is not None else None
        pending = session.pending if session is not None else None
        return pending is not None and pending.chat_id == person.fake.chat_id

    async def deliver(self) -> None:
        """Sends what the sender loop would have sent by now. A chat's messages go out in the
        order queued, so an answer queued behind a backlog (the staff group hears of every case
        filed here) waits for the loop, which this harness does not run."""
        await deliver_notices(self.harness)

    async def staff(self, user_id: int, role: str = "agent") -> None:
        async with self.harness.deps.uow() as uow:
            await uow.staff.set_role(user_id, role, NOW)
            await uow.commit()

    async def merchant(self, code: str, user_id: int) -> Person:
        """A merchant account bound with the one-time link, as the operator hands it out."""
        token = f"tok{code}"
        async with self.harness.deps.uow() as uow:
            await uow.merchants.upsert(code, f"店铺{code}", NOW)
            await uow.merchants.set_bind_token(code, token_hash(token), NOW)
            await uow.commit()
        person = self.private(user_id)
        await person.send(f"/start m_{token}")
        return person


FILING = (
    ("order_no", lambda p, o: p.send("/complain")),
    ("account", lambda p, o: p.send(o)),
    ("reason", lambda p, o: p.send("lihua_88")),
    ("description", lambda p, o: p.click("f:reason:not_delivered")),
    ("evidence", lambda p, o: p.send(DESCRIPTION)),
    ("evidence_one", lambda p, o: p.photo(PHOTO + o.encode())),
    ("refund_kind", lambda p, o: p.click("f:done")),
    ("method", lambda p, o: p.click("f:refund:full")),
    ("confirm", lambda p, o: p.click("f:method:original")),
    ("submitted", lambda p, o: p.click("f:submit")),
)
FILING_STEPS = tuple(name for name, _ in FILING)


async def file_until(person: Person, order_no: str, step: str) -> str | None:
    """Walks the filing dialog until `step`; the case number once it is submitted."""
    for name, action in FILING:
        await action(person, order_no)
        if name == step:
            break
    found = CASE_NO.search(person.last_text())
    return found.group(0) if step == "submitted" and found else None


async def buyer_scene(world: World, state: str) -> Scene:
    """A buyer at a filing step, in a menu, asked for a case number, or uploading evidence."""
    n = next(world.ids)
    order_no = f"KM2026112{n:05d}"
    await world.harness.add_orders(order(order_no))
    buyer, stranger = world.private(10_000 + n), world.private(15_000 + n)
    case_no = None
    if state in FILING_STEPS:
        case_no = await file_until(buyer, order_no, state)
    elif state == "menu":
        await buyer.send("/start")
    elif state == "status_ask":
        await buyer.send("/status")
    elif state == "language":
        await buyer.send("/language")
    elif state == "evidence_upload":
        case_no = await file_until(buyer, order_no, "submitted")
        agent = world.grouped(30_000 + n)
        await world.staff(agent.id)
        await agent.send(f"/take {case_no}")
        await agent.send(f"/request {case_no} 请补充付款截图")
        await buyer.send(f"/evidence {case_no}")
    return Scene(buyer, stranger, case_no, in_group=False)


async def merchant_scene(world: World, state: str) -> Scene:
    """A bound merchant with a case waiting for their answer, maybe asked for an amount/reason."""
    n = next(world.ids)
    order_no, code = f"KM2026112{n:05d}", f"M{n}"
    await world.harness.add_orders(order(order_no, merchant_code=code))
    merchant = await world.merchant(code, 20_000 + n)
    case_no = await file_until(world.private(10_000 + n), order_no, "submitted")
    agent = world.grouped(30_000 + n)
    await world.staff(agent.id)
    await agent.send(f"/take {case_no}")
    await agent.send(f"/tomerchant {case_no}")
    await merchant.send(f"/status {case_no}")
    if state == "merchant_amount":
        await merchant.click(f"mc:off:{case_no}")
    elif state == "merchant_explanation":
        await merchant.click(f"mc:rej:{case_no}")
    other = await world.merchant(f"X{n}", 25_000 + n)  # answers for another shop
    return Scene(merchant, other, case_no, in_group=False)


async def staff_scene(world: World, state: str) -> Scene:
    """An agent with a case card, in the staff group or in private, maybe asked for a text."""
    n = next(world.ids)
    order_no = f"KM2026112{n:05d}"
    await world.harness.add_orders(order(order_no))
    case_no = await file_until(world.private(10_000 + n), order_no, "submitted")
    in_group = state != "staff_private"
    agent = world.grouped(30_000 + n) if in_group else world.private(30_000 + n)
    await world.staff(agent.id)
    await world.deliver()
    await agent.send(f"/case {case_no}")
    if state in ("group_reason", "staff_private"):
        await agent.click(f"st:rej:{case_no}")
    elif state == "group_amount":
        await agent.click(f"st:appp:{case_no}")
    stranger = world.grouped(35_000 + n) if in_group else world.private(35_000 + n)
    return Scene(agent, stranger, case_no, in_group=in_group)


async def other_group_scene(world: World, state: str) -> Scene:
    """Someone in a group that is not the staff group: nothing there is for the bot."""
    n = next(world.ids)
    member = world.grouped(40_000 + n, OTHER_GROUP)
    await world.staff(member.id)  # even staff: only the staff group is the staff group
    return Scene(member, world.grouped(45_000 + n, OTHER_GROUP), None, in_group=True)


SceneMaker = Callable[[World, str], Awaitable[Scene]]
SCENES: dict[str, SceneMaker] = {
    **dict.fromkeys(FILING_STEPS, buyer_scene),
    "idle": buyer_scene,
    "menu": buyer_scene,
    "status_ask": buyer_scene,
    "language": buyer_scene,
    "evidence_upload": buyer_scene,
    "merchant_case": merchant_scene,
    "merchant_amount": merchant_scene,
    "merchant_explanation": merchant_scene,
    "group_card": staff_scene,
    "group_reason": staff_scene,
    "group_amount": staff_scene,
    "staff_private": staff_scene,
    "other_group": other_group_scene,
}
