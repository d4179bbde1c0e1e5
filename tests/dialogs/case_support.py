"""A filed case, its buyer, its merchant and a stranger, for the merchant and case-action tests.

Cases are filed and moved with the real services (`submit_complaint`, `perform`) and the real
`CaseNotifier`, so every event is chained and every notice queued as in production; the people
talk to the bot through the `Chat` driver (one unit of work per update, then commit).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cases.clock import ManualClock
from cases.filing import Submission, submit_complaint
from cases.lifecycle import Action
from cases.model import Case, EvidenceFile, Merchant, Reason, RefundKind, RefundMethod
from cases.policy import Policy
from cases.workflow import Outcome, perform
from dialogs.context import DialogEnv
from dialogs.notices import CaseNotifier
from tests.fakes.chat import Chat, make_env, make_order, photo
from tests.fakes.uow import FakeStore, FakeUnitOfWork, OutboxRow

BUYER = 86_420  # a number that appears in no order number or amount
MERCHANT = 2001  # answers for M01, the merchant of order A1001
OTHER_MERCHANT = 2002  # answers for M02
STRANGER = 9999
AGENT = 3001
ARBITRATOR = 3002
STAFF_CHAT = -100_777
DESCRIPTION = "付款后一直没有收到卡密，联系商家也没有回复。"


def case_env(policy: Policy | None = None) -> DialogEnv:
    """The dialog environment with the real notifier and a staff group."""
    env = replace(make_env(policy=policy), staff_chat_id=STAFF_CHAT)
    return replace(env, notifier=CaseNotifier.from_env(env))


def case_store() -> FakeStore:
    store = FakeStore()
    store.orders["A1001"] = make_order("A1001")
    store.orders["A1002"] = make_order("A1002", product="Steam 充值卡 100元", amount=10000)
    store.staff.update({AGENT: "agent", ARBITRATOR: "arbitrator"})
    store.merchants["M01"] = Merchant("M01", "星辰卡铺", MERCHANT)
    store.merchants["M02"] = Merchant("M02", "别家卡铺", OTHER_MERCHANT)
    return store


@dataclass
class CaseWorld:
    """The store, the environment, and the people around one order's complaint."""

    store: FakeStore
    env: DialogEnv

    @classmethod
    def make(cls, policy: Policy | None = None) -> CaseWorld:
        return cls(case_store(), case_env(policy))

    def chat(self, user_id: int, language_code: str | None = "zh-hans") -> Chat:
        return Chat(self.store, self.env, user_id=user_id, language_code=language_code)

    async def file(
        self,
        order_no: str = "A1001",
        *,
        evidence: tuple[EvidenceFile, ...] = (photo(1),),
        buyer_id: int = BUYER,
    ) -> str:
        """Files a full-refund complaint on the order and returns its case number."""
        async with FakeUnitOfWork(self.store) as uow:
            result = await submit_complaint(
                uow,
                self.env.clock,
                self.env.policy,
                self.env.calendar,
                buyer_id,
                Submission(
                    order_no=order_no,
                    reason=Reason.NOT_DELIVERED,
                    description=DESCRIPTION,
                    refund_kind=RefundKind.FULL,
                    refund_method=RefundMethod.ORIGINAL,
                    evidence=evidence,
                ),
            )
            await uow.commit()
        return result.case_no

    async def act(
        self,
        case_no: str,
        action: Action,
        user_id: int | None = AGENT,
        *,
        amount: int | None = None,
        note: str = "",
    ) -> Outcome:
        """Moves the case as `user_id` (staff by default) and commits, as the bot would."""
        env = self.env
        assert env.notifier is not None
        async with FakeUnitOfWork(self.store) as uow:
            outcome = await perform(
                uow, env.clock, env.policy, env.calendar, env.notifier, case_no, action,
                user_id, amount=amount, note=note,
            )
            await uow.commit()
        return outcome

    async def with_merchant(self, order_no: str = "A1001") -> str:
        """A case waiting for the merchant's answer."""
        case_no = await self.file(order_no)
        await self.act(case_no, Action.TAKE)
        await self.act(case_no, Action.SEND_TO_MERCHANT)
        return case_no

    async def awaiting_evidence(self, order_no: str = "A1001") -> str:
        """A case whose buyer was asked for more evidence."""
        case_no = await self.file(order_no)
        await self.act(case_no, Action.TAKE)
        await self.act(case_no, Action.REQUEST_EVIDENCE, note="请补充付款截图和与商家的聊天记录")
        return case_no

    @property
    def clock(self) -> ManualClock:
        clock = self.env.clock
        assert isinstance(clock, ManualClock)
        return clock

    def case(self, case_no: str) -> Case:
        return self.store.cases[case_no]

    def actions(self, case_no: str) -> list[str]:
        return [event.action for event in self.store.events.get(case_no, [])]

    def outbox_to(self, chat_id: int) -> list[OutboxRow]:
        return [row for row in self.store.outbox if row.chat_id == chat_id]
