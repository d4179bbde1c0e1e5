"""Pushed notices: every case transition and deadline, as outbox messages in the same transaction.

`CaseNotifier` is the `cases.workflow.Notifier` (and, through `remind`, the `Reminder`): it works
out who hears what (dialogs/notices_buyer.py, notices_merchant.py, notices_staff.py), in whose
language, and queues each message with a key, so a retried job or a repeated call never queues
one twice: `notice:{case_no}:{seq}:{audience}`, `remind:{case_no}:{deadline}:{label}`,
`overdue:{case_no}:{deadline}`. The bot's sender renders and sends the rows after the commit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from cases.audit import FIRST_SEQ
from cases.calendar import WorkingCalendar
from cases.clock import Clock
from cases.deadlines import WAITS_ON, Party, hours_left, reminder_label
from cases.filing import SUBMIT_ACTION
from cases.fingerprints import EvidenceMatch
from cases.instant_rule import contest_window_end
from cases.lifecycle import Action
from cases.model import Case, CaseStatus, DeadlineKind
from cases.policy import Policy
from cases.ports import StoredEvidence, UnitOfWork
from cases.ratings import finishes, responsible_staff
from cases.workflow import Outcome
from dialogs import callbacks as cb
from dialogs.case_rating import rating_buttons
from dialogs.context import ButtonRows, DialogEnv
from dialogs.evidence_matches import match_notice
from dialogs.language import EN, SUPPORTED_LOCALES, ZH_CN
from dialogs.notices_buyer import buyer_buttons, buyer_notice
from dialogs.notices_common import Facts, btn, offer_pending
from dialogs.notices_evidence import (
    buyer_refused_notice,
    buyer_resend_notice,
    missing_file_params,
    staff_file_notice,
    staff_missing_notice,
)
from dialogs.notices_instant import INSTANT_ACTIONS, instant_paid_reply, instant_replies
from dialogs.notices_merchant import merchant_buttons, merchant_notice
from dialogs.notices_staff import (
    deadline_buttons,
    new_case_notice,
    payout_buttons,
    staff_notice,
)
from dialogs.screen_card import all_read, card_screens, screens_notice, worth_telling
from dialogs.staff_risk import risk_params
from dialogs.support import SupportContact
from dialogs.types import Reply

# Statuses in which the merchant has been asked to answer the complaint.
_WITH_MERCHANT: Final = frozenset({CaseStatus.AWAITING_MERCHANT, CaseStatus.NEGOTIATING})


class Audience(StrEnum):
    BUYER = "buyer"
    MERCHANT = "merchant"
    STAFF = "staff"


@dataclass(frozen=True)
class Recipient:
    chat_id: int
    locale: str


class CaseNotifier:
    """Turns case outcomes and deadlines into localized outbox messages for each audience.

    `manual_payout`: staff pay approved refunds by hand on the platform, so the staff notice of
    an approved refund carries the "refund paid" button; False when a platform gateway pays.
    """

    def __init__(
        self,
        staff_chat_id: int | None,
        default_locale: str,
        *,
        policy: Policy,
        calendar: WorkingCalendar,
        clock: Clock,
        manual_payout: bool = True,
        support: SupportContact | None = None,
    ) -> None:
        self.staff_chat_id = staff_chat_id
        self.default_locale = default_locale
        self.policy = policy
        self.calendar = calendar
        self.clock = clock
        self.manual_payout = manual_payout
        self.support = support

    @classmethod
    def from_env(cls, env: DialogEnv, *, manual_payout: bool = True) -> CaseNotifier:
        return cls(
            env.staff_chat_id,
            env.default_locale,
            policy=env.policy,
            calendar=env.calendar,
            clock=env.clock,
            manual_payout=manual_payout,
            support=env.support,
        )

    async def __call__(self, uow: UnitOfWork, outcome: Outcome) -> None:
        """Queues what the buyer, the merchant and the staff chat hear of one transition."""
        if outcome.event.action == SUBMIT_ACTION:
            await self.notify_submitted(uow, outcome.after)
            return
        before, after, event = outcome.before, outcome.after, outcome.event
        merchant = await self._merchant(uow, after)
        involved = merchant is not None and await self._merchant_involved(uow, outcome)
        facts = Facts(
            before=before,
            after=after,
            event=event,
            deadline=after.next_deadline_at,
            merchant_timeout=self.policy.merchant_timeout,
            merchant_involved=involved,
        )
        buyer = await self._user(uow, after.buyer_id)
        if facts.action in INSTANT_ACTIONS:
            await self._instant(uow, facts, buyer, merchant)
            return
        await self._queue(uow, buyer, buyer_notice(facts, self.support), facts, Audience.BUYER)
        if finishes(before, after):
            await self._ask_rating(uow, buyer, after, event.at)
        if merchant is not None:
            order = await uow.orders.get(after.order_no)
            await self._queue(
                uow, merchant, merchant_notice(facts, order), facts, Audience.MERCHANT
            )
        staff_reply = staff_notice(facts, manual_payout=self.manual_payout)
        if staff_reply is None and merchant is None and _went_to_merchant(facts):
            staff_reply = Reply(
                "notice.staff.merchant_unreachable",
                {"case_no": after.case_no, "merchant_code": after.merchant_code},
                ((btn("card", cb.STAFF_CARD, after.case_no),),),
            )
        await self._queue(uow, self._staff(), staff_reply, facts, Audience.STAFF)
        if facts.action is Action.CONFIRM_REFUND and merchant is not None:
            until = contest_window_end(
                await uow.events.list(after.case_no), self.policy, self.calendar
            )
            if until is not None:  # an instant refund, now paid: the contest window opens
                reply = instant_paid_reply(after.case_no, facts, until, self.policy)
                await self._queue(uow, merchant, reply, facts, Audience.MERCHANT)

    async def _instant(
        self, uow: UnitOfWork, facts: Facts, buyer: Recipient, merchant: Recipient | None
    ) -> None:
        """Queues the instant refund's or the contest's notices (dialogs/notices_instant.py)."""
        replies = instant_replies(facts, self.policy, manual_payout=self.manual_payout)
        await self._queue(uow, buyer, replies.buyer, facts, Audience.BUYER)
        if merchant is not None:
            await self._queue(uow, merchant, replies.merchant, facts, Audience.MERCHANT)
        await self._queue(uow, self._staff(), replies.staff, facts, Audience.STAFF)

    async def _ask_rating(
        self, uow: UnitOfWork, buyer: Recipient, case: Case, at: datetime
    ) -> None:
        """Asks the buyer, right after the closing notice, to rate the case: once per case."""
        staff_id = responsible_staff(case, await uow.events.list(case.case_no))
        if not await uow.ratings.ask(case.case_no, staff_id, at):
            return  # asked when the case first finished (before an escalation reopened it)
        params = {"case_no": case.case_no, "status": case.status.value}
        reply = Reply("rating.ask", params, rating_buttons(case.case_no))
        await uow.outbox.add(
            buyer.chat_id, reply.to_payload(buyer.locale), at, f"rate:{case.case_no}"
        )

    async def notify_submitted(self, uow: UnitOfWork, case: Case) -> None:
        """Tells the staff chat of a new case, with its risk hints and the review buttons.

        The buyer's receipt is the filing dialog's own reply, so the buyer gets nothing here.
        """
        staff = self._staff()
        if staff is None:
            return
        risk = await risk_params(uow, case, case.created_at, self.policy)
        deadline = case.next_deadline_at or case.review_due_at
        reply = new_case_notice(case, deadline, risk, self.policy)
        key = notice_key(case.case_no, FIRST_SEQ, Audience.STAFF)
        await uow.outbox.add(staff.chat_id, reply.to_payload(staff.locale), case.created_at, key)

    async def remind(
        self, uow: UnitOfWork, case: Case, kind: DeadlineKind, deadline: datetime, overdue: bool
    ) -> None:
        """The `cases.workflow.Reminder`: a deadline is near (or, for staff, has passed).

        Reminds whoever the deadline waits for; a passed deadline alerts the staff chat once.
        """
        now = self.clock.now()
        if overdue:
            recipient = self._staff()
            params = {"case_no": case.case_no, "kind": kind.value, "due": deadline}
            reply = Reply("notice.remind.overdue", params, deadline_buttons(kind, case))
            key = f"overdue:{case.case_no}:{deadline.isoformat()}"
        else:
            label = reminder_label(deadline, now, self.policy)
            recipient = await self._waiting_party(uow, case, kind)
            reply = reminder_reply(
                case, kind, deadline, str(hours_left(deadline, now)), self.policy
            )
            key = f"remind:{case.case_no}:{deadline.isoformat()}:{label}"
        if recipient is not None:
            await uow.outbox.add(recipient.chat_id, reply.to_payload(recipient.locale), now, key)

    async def evidence_missing(self, uow: UnitOfWork, item: StoredEvidence, attempts: int) -> None:
        """A file could not be downloaded: asks the buyer for it again and tells the staff chat."""
        await self._file_notices(
            uow,
            item,
            ("evidence-resend", buyer_resend_notice),
            ("evidence-failed", lambda params: staff_missing_notice(params, item.id, attempts)),
        )

    async def evidence_matched(
        self, uow: UnitOfWork, item: StoredEvidence, matches: Sequence[EvidenceMatch]
    ) -> None:
        """Tells the staff chat, once per file, that it is also in other buyers' cases."""
        staff = self._staff()
        if staff is None:
            return
        reply = match_notice(item.case_no, matches, list(await uow.evidence.list(item.case_no)))
        if reply is None:
            return
        key = f"evidence-match:{item.id}"
        await uow.outbox.add(staff.chat_id, reply.to_payload(staff.locale), self.clock.now(), key)

    async def screens_read(self, uow: UnitOfWork, case_no: str, order_no: str) -> None:
        """Tells the staff chat what the case's screenshots say, once all of them are read and
        text was found in one (the card shows the rest)."""
        staff = self._staff()
        if staff is None:
            return
        files = list(await uow.evidence.list(case_no))
        readings = await uow.readings.for_case(case_no)
        screens = await card_screens(uow, case_no, order_no, files, enabled=True)
        if screens is None or not all_read(files, readings) or not worth_telling(screens):
            return
        # Keyed by how many are read: files the buyer adds later are told again, with the rest.
        key = f"screens-read:{case_no}:{len(readings)}"
        reply = screens_notice(case_no, screens)
        await uow.outbox.add(staff.chat_id, reply.to_payload(staff.locale), self.clock.now(), key)

    async def evidence_refused(
        self, uow: UnitOfWork, item: StoredEvidence, key: str, why: dict[str, object]
    ) -> None:
        """A file was not kept (over the size limit, or content not what it claims): tells the
        buyer which file and what to send instead, and the staff chat why, once each."""
        await self._file_notices(
            uow,
            item,
            ("evidence-refused-buyer", lambda params: buyer_refused_notice(params, why)),
            ("evidence-refused", lambda params: staff_file_notice(
                key, params, {"evidence_id": item.id, **why}
            )),
        )

    async def _file_notices(
        self,
        uow: UnitOfWork,
        item: StoredEvidence,
        to_buyer: tuple[str, Callable[[dict[str, Any]], Reply]],
        to_staff: tuple[str, Callable[[dict[str, Any]], Reply]],
    ) -> None:
        """Queues one notice about a file to its buyer and one to the staff chat.

        Keyed by the file and the time it was sent, so a retried step queues each message once,
        and the same file failing again after the buyer re-sent it is told again.
        """
        case = await uow.cases.get(item.case_no)
        if case is None:
            return
        params = missing_file_params(case, item, list(await uow.evidence.list(case.case_no)))
        now = self.clock.now()
        once = f"{item.id}:{item.received_at.isoformat()}"
        buyer = await self._user(uow, case.buyer_id)
        prefix, build = to_buyer
        await uow.outbox.add(
            buyer.chat_id, build(params).to_payload(buyer.locale), now, f"{prefix}:{once}"
        )
        staff = self._staff()
        if staff is not None:
            prefix, build = to_staff
            await uow.outbox.add(
                staff.chat_id, build(params).to_payload(staff.locale), now, f"{prefix}:{once}"
            )

    async def _queue(
        self,
        uow: UnitOfWork,
        recipient: Recipient | None,
        reply: Reply | None,
        facts: Facts,
        audience: Audience,
    ) -> None:
        """Queues one transition notice, due when the transition happened."""
        if recipient is None or reply is None:
            return
        key = notice_key(facts.after.case_no, facts.event.seq, audience)
        payload = reply.to_payload(recipient.locale)
        await uow.outbox.add(recipient.chat_id, payload, facts.event.at, key)

    async def _waiting_party(
        self, uow: UnitOfWork, case: Case, kind: DeadlineKind
    ) -> Recipient | None:
        party = WAITS_ON[kind]
        if party is Party.BUYER:
            return await self._user(uow, case.buyer_id)
        if party is Party.MERCHANT:
            return await self._merchant(uow, case)
        return self._staff()

    async def payout_refused(self, uow: UnitOfWork, case: Case, reason: str) -> None:
        """Tells the staff chat the platform refused to pay an approved refund, with its reason."""
        staff = self._staff()
        if staff is None:
            return
        reply = Reply(
            "notice.staff.payout_refused",
            {"case_no": case.case_no, "reason": reason},
            payout_buttons(case.case_no),
        )
        now = self.clock.now()
        key = f"payout:{case.case_no}:{case.updated_at.isoformat()}"
        await uow.outbox.add(staff.chat_id, reply.to_payload(staff.locale), now, key)

    def _staff(self) -> Recipient | None:
        if self.staff_chat_id is None:
            return None
        return Recipient(self.staff_chat_id, self.default_locale)

    async def _user(self, uow: UnitOfWork, user_id: int) -> Recipient:
        """The user's private chat, in their /language choice, else Telegram's language."""
        profile = await uow.users.get(user_id)
        locale = self.default_locale
        if profile is not None and profile.locale in SUPPORTED_LOCALES:
            locale = profile.locale
        elif profile is not None and profile.language_code:
            locale = ZH_CN if profile.language_code.lower().startswith("zh") else EN
        return Recipient(user_id, locale)

    async def _merchant(self, uow: UnitOfWork, case: Case) -> Recipient | None:
        """The merchant's chat, or None while the merchant has not bound a Telegram account."""
        if not case.merchant_code:
            return None
        merchant = await uow.merchants.get(case.merchant_code)
        if merchant is None or merchant.telegram_user_id is None:
            return None
        return await self._user(uow, merchant.telegram_user_id)

    async def _merchant_involved(self, uow: UnitOfWork, outcome: Outcome) -> bool:
        """The merchant was asked to respond to this case at some point."""
        if outcome.before.status in _WITH_MERCHANT or outcome.after.status in _WITH_MERCHANT:
            return True
        events = await uow.events.list(outcome.after.case_no)
        return any(event.to_status is CaseStatus.AWAITING_MERCHANT for event in events)


def _went_to_merchant(facts: Facts) -> bool:
    return facts.moved and facts.status is CaseStatus.AWAITING_MERCHANT


def notice_key(case_no: str, seq: int, audience: Audience) -> str:
    return f"notice:{case_no}:{seq}:{audience.value}"


def reminder_reply(
    case: Case, kind: DeadlineKind, due: datetime, hours: str, policy: Policy
) -> Reply:
    """The reminder for the party a deadline waits on, with the moves still open to them."""
    n = case.case_no
    params = {
        "case_no": n,
        "order_no": case.order_no,
        "due": due,
        "hours": hours,
        "currency": case.currency,
        "offer": case.offer_amount,
        "requested": case.refund_amount,
        "silence": policy.merchant_timeout.value,
    }
    buttons: ButtonRows
    if kind is DeadlineKind.BUYER_DECISION:
        key = "offer" if offer_pending(case) else "escalation"
        buttons = buyer_buttons(case)
    elif kind is DeadlineKind.EVIDENCE:
        key, buttons = "evidence", buyer_buttons(case)
    elif kind is DeadlineKind.MERCHANT:
        key, buttons = "merchant", merchant_buttons(n)
    else:
        key, buttons = kind.value, deadline_buttons(kind, case)
    return Reply(f"notice.remind.{key}", params, buttons)
