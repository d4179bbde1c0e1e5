"""Staff members talking to the bot, in the staff group or in private, over a FakeStore.

`StaffChat.send("/case TS…")` and `.click("st:take:TS…")` run the way the bot runs an update:
one unit of work, the staff group entry point (or the buyer dialog in private), commit. Cases
are filed and moved with the real services, so every event is chained like in production.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from cases.filing import Submission, submit_complaint
from cases.lifecycle import Action
from cases.model import EvidenceFile, Merchant, Reason, RefundKind, RefundMethod
from cases.ports import UnitOfWork
from cases.workflow import Outcome, perform
from dialogs import buyer
from dialogs.context import DialogEnv, UserCtx
from dialogs.staff import handle_group
from dialogs.types import ButtonIn, Event
from tests.fakes.chat import NOW, Answer, check_reply, parse_text, photo
from tests.fakes.uow import FakeStore, FakeUnitOfWork

STAFF_GROUP = -1001234567890
BUYER_ID = 1001
MERCHANT_USER = 5005
AGENT, ARBITRATOR, ADMIN, OUTSIDER = 2001, 2002, 2003, 2999
_update_ids = itertools.count(100_000)


@dataclass
class RecordingNotifier:
    """Remembers every outcome it is told of (the real one queues outbox rows)."""

    outcomes: list[Outcome] = field(default_factory=list)

    async def __call__(self, uow: UnitOfWork, outcome: Outcome) -> None:
        self.outcomes.append(outcome)

    @property
    def actions(self) -> list[str]:
        return [outcome.event.action for outcome in self.outcomes]


def seed_staff(store: FakeStore) -> None:
    store.staff.update({AGENT: "agent", ARBITRATOR: "arbitrator", ADMIN: "admin"})
    store.merchants["M01"] = Merchant("M01", "星辰卡铺", telegram_user_id=MERCHANT_USER)


async def file_case(
    store: FakeStore,
    env: DialogEnv,
    order_no: str = "A1001",
    *,
    evidence: tuple[EvidenceFile, ...] = (photo(1), photo(2)),
    description: str = "付款后一直没有收到卡密，联系商家 <b>无回复</b>。",
    reason: Reason = Reason.NOT_DELIVERED,
) -> str:
    """Files a complaint on the order as the buyer and returns its case number."""
    async with FakeUnitOfWork(store) as uow:
        result = await submit_complaint(
            uow,
            env.clock,
            env.policy,
            env.calendar,
            BUYER_ID,
            Submission(
                order_no=order_no,
                reason=reason,
                description=description,
                refund_kind=RefundKind.FULL,
                refund_method=RefundMethod.ORIGINAL,
                evidence=evidence,
            ),
        )
        await uow.commit()
    return result.case_no


async def move(
    store: FakeStore,
    env: DialogEnv,
    case_no: str,
    action: Action,
    user_id: int | None,
    **kw: object,
) -> Outcome:
    """Moves the case as someone other than the staff chat (the buyer, the merchant, the system)."""
    async with FakeUnitOfWork(store) as uow:
        outcome = await perform(
            uow, env.clock, env.policy, env.calendar, RecordingNotifier(), case_no, action,
            user_id, **kw,  # type: ignore[arg-type]
        )
        await uow.commit()
    return outcome


async def to_arbitration(store: FakeStore, env: DialogEnv, case_no: str) -> None:
    """The merchant rejects the complaint and the buyer escalates it to platform arbitration."""
    await move(store, env, case_no, Action.SEND_TO_MERCHANT, AGENT)
    await move(store, env, case_no, Action.MERCHANT_REJECT, MERCHANT_USER, note="已发货")
    await move(store, env, case_no, Action.ESCALATE, BUYER_ID)


class StaffChat:
    """One person in the staff group (`chat_id` given) or in their private chat (None)."""

    def __init__(
        self,
        store: FakeStore,
        env: DialogEnv,
        user_id: int,
        chat_id: int | None = STAFF_GROUP,
        notifier: RecordingNotifier | None = None,
    ) -> None:
        self.store = store
        self.env = env
        self.user_id = user_id
        self.chat_id = chat_id
        self.notifier = notifier or RecordingNotifier()

    def elsewhere(self, chat_id: int | None) -> StaffChat:
        """The same person in another chat (None: their private chat with the bot)."""
        return StaffChat(self.store, self.env, self.user_id, chat_id, self.notifier)

    async def send(self, text: str) -> Answer:
        return await self.deliver(parse_text(text))

    async def click(self, data: str) -> Answer:
        return await self.deliver(ButtonIn(data))

    async def deliver(self, event: Event) -> Answer:
        ctx = UserCtx(
            user_id=self.user_id,
            language_code="zh-hans",
            username=f"staff{self.user_id}",
            update_id=next(_update_ids),
            chat_id=self.chat_id,
        )
        async with FakeUnitOfWork(self.store) as uow:
            await uow.users.touch(ctx.user_id, ctx.language_code, ctx.username, NOW)
            if self.chat_id is None:
                env = DialogEnv(
                    self.env.clock,
                    self.env.policy,
                    self.env.calendar,
                    self.env.staff_chat_id,
                    notifier=self.notifier,
                )
                replies = (await buyer.handle(event, ctx, uow, env)).replies
            else:
                replies = await handle_group(event, ctx, uow, self.env, self.notifier)
            await uow.commit()
        answer = Answer(replies)
        for reply in answer:
            check_reply(reply)
        return answer
