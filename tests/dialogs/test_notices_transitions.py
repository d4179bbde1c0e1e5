"""Who hears what when a case moves: one row per action, through the real lifecycle and notifier.

Each row walks a filed case to the step under test, takes it, and compares what was queued for
the buyer, the merchant and the staff chat (the key and the buttons, without the case number)
with what the row expects. An audience missing from a row must hear nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from cases.lifecycle import Action
from cases.policy import MerchantTimeout, Policy
from cases.workflow import Outcome
from tests.dialogs.notices_support import NoticeWorld, by_audience, render_everywhere
from tests.fakes.uow import FakeUnitOfWork

A = Action
Step = tuple[Action, str, dict[str, Any]]

REVIEW: list[Step] = [(A.TAKE, "agent", {})]
TO_MERCHANT: list[Step] = [*REVIEW, (A.SEND_TO_MERCHANT, "agent", {})]
OFFERED: list[Step] = [*TO_MERCHANT, (A.MERCHANT_OFFER, "merchant", {"amount": 2000})]
DECLINED: list[Step] = [*OFFERED, (A.DECLINE_OFFER, "buyer", {})]
REJECTED: list[Step] = [*REVIEW, (A.REJECT, "agent", {"note": "证据不足"})]
ARBITRATION: list[Step] = [*DECLINED, (A.ESCALATE, "buyer", {})]
APPROVED: list[Step] = [*REVIEW, (A.APPROVE_REFUND, "agent", {"amount": 3000})]
INSTANT: list[Step] = [(A.INSTANT_REFUND, "system", {"amount": 3000})]
INSTANT_PAID: list[Step] = [*INSTANT, (A.CONFIRM_REFUND, "agent", {})]
CONTESTED: list[Step] = [
    *INSTANT_PAID, (A.MERCHANT_CONTEST, "merchant", {"note": "卡密已于付款后正常发放"}),
]
ASSESS = "送检测机构鉴定充值截图真伪"
ASSESSING: list[Step] = [*REVIEW, (A.SEND_TO_ASSESSMENT, "agent", {"note": ASSESS})]

WITHDRAW_ROW = [["b:wd:"]]
FILE_ROW = [["b:file:", "b:dos:"]]
CARD = [["st:card:"]]
PAYOUT = [["st:paid:", "st:card:"]]
ARBITRATE = [["st:card:", "st:ev:"], ["st:rb:", "st:rm:"], ["st:note:"]]
REVIEWING = [["st:card:", "st:ev:"], ["st:req:", "st:mer:"], ["st:appf:", "st:appp:", "st:rej:"]]
ANSWER = [["mc:acc:"], ["mc:off:", "mc:rej:"]]

Expected = dict[str, tuple[str, list[list[str]]]]
ROWS: list[tuple[str, list[Step], Step, Expected, MerchantTimeout]] = [
    ("take", [], (A.TAKE, "agent", {}),
     {"buyer": ("notice.buyer.in_review", WITHDRAW_ROW)}, MerchantTimeout.REFUND),
    ("assign", REVIEW, (A.ASSIGN, "admin", {"assignee": 3002}), {}, MerchantTimeout.REFUND),
    ("note", OFFERED, (A.NOTE, "agent", {"note": "买家情绪激动，注意措辞"}), {},
     MerchantTimeout.REFUND),
    ("request_evidence", REVIEW, (A.REQUEST_EVIDENCE, "agent", {"note": "请上传付款截图"}),
     {"buyer": ("notice.buyer.evidence_requested", [["b:ev:"], ["b:wd:"]])},
     MerchantTimeout.REFUND),
    ("supply_evidence", [*REVIEW, (A.REQUEST_EVIDENCE, "agent", {"note": "截图"})],
     (A.SUPPLY_EVIDENCE, "buyer", {}),
     {"buyer": ("notice.buyer.evidence_received", WITHDRAW_ROW),
      "staff": ("notice.staff.evidence_added", REVIEWING)}, MerchantTimeout.REFUND),
    ("evidence_timeout", [*REVIEW, (A.REQUEST_EVIDENCE, "agent", {"note": "截图"})],
     (A.EVIDENCE_TIMEOUT, "system", {}),
     {"buyer": ("notice.buyer.evidence_missed", WITHDRAW_ROW),
      "staff": ("notice.staff.evidence_missed", CARD)}, MerchantTimeout.REFUND),
    ("send_to_merchant", REVIEW, (A.SEND_TO_MERCHANT, "agent", {}),
     {"buyer": ("notice.buyer.sent_to_merchant", WITHDRAW_ROW),
      "merchant": ("notice.merchant.asked", ANSWER)}, MerchantTimeout.REFUND),
    ("merchant_accept", TO_MERCHANT, (A.MERCHANT_ACCEPT, "merchant", {}),
     {"buyer": ("notice.buyer.merchant_accepted", FILE_ROW),
      "staff": ("notice.staff.refund_approved", PAYOUT)}, MerchantTimeout.REFUND),
    ("merchant_offer", TO_MERCHANT, (A.MERCHANT_OFFER, "merchant", {"amount": 2000}),
     {"buyer": ("notice.buyer.offer_made", [["b:acc:", "b:dec:"], ["b:wd:"]]),
      "staff": ("notice.staff.merchant_offered", CARD)}, MerchantTimeout.REFUND),
    ("merchant_reject", TO_MERCHANT, (A.MERCHANT_REJECT, "merchant", {"note": "卡密已发放"}),
     {"buyer": ("notice.buyer.merchant_rejected", [["b:esc:"], ["b:wd:"]]),
      "staff": ("notice.staff.merchant_rejected", CARD)}, MerchantTimeout.REFUND),
    ("merchant_timeout_refund", TO_MERCHANT, (A.MERCHANT_TIMEOUT, "system", {}),
     {"buyer": ("notice.buyer.merchant_silent_refund", FILE_ROW),
      "merchant": ("notice.merchant.timeout_refund", []),
      "staff": ("notice.staff.refund_approved", PAYOUT)}, MerchantTimeout.REFUND),
    ("merchant_timeout_escalate", TO_MERCHANT, (A.MERCHANT_TIMEOUT, "system", {}),
     {"buyer": ("notice.buyer.merchant_silent_arbitration", WITHDRAW_ROW),
      "merchant": ("notice.merchant.timeout_escalated", []),
      "staff": ("notice.staff.arbitration_needed", ARBITRATE)}, MerchantTimeout.ESCALATE),
    ("accept_offer", OFFERED, (A.ACCEPT_OFFER, "buyer", {}),
     {"buyer": ("notice.buyer.offer_accepted", FILE_ROW),
      "merchant": ("notice.merchant.offer_accepted", []),
      "staff": ("notice.staff.refund_approved", PAYOUT)}, MerchantTimeout.REFUND),
    ("decline_offer", OFFERED, (A.DECLINE_OFFER, "buyer", {}),
     {"buyer": ("notice.buyer.offer_declined", [["b:esc:"], ["b:wd:"]]),
      "merchant": ("notice.merchant.offer_declined", []),
      "staff": ("notice.staff.offer_declined", CARD)}, MerchantTimeout.REFUND),
    ("escalate", DECLINED, (A.ESCALATE, "buyer", {}),
     {"buyer": ("notice.buyer.escalated", WITHDRAW_ROW),
      "merchant": ("notice.merchant.escalated", []),
      "staff": ("notice.staff.arbitration_needed", ARBITRATE)}, MerchantTimeout.REFUND),
    ("escalation_expired", DECLINED, (A.ESCALATION_EXPIRED, "system", {}),
     {"buyer": ("notice.buyer.escalation_expired", FILE_ROW),
      "merchant": ("notice.merchant.closed", []),
      "staff": ("notice.staff.escalation_expired", CARD)}, MerchantTimeout.REFUND),
    ("approve_refund", REVIEW, (A.APPROVE_REFUND, "agent", {"amount": 2500}),
     {"buyer": ("notice.buyer.approved", FILE_ROW),
      "staff": ("notice.staff.refund_approved", PAYOUT)}, MerchantTimeout.REFUND),
    ("approve_after_merchant_refused", [*TO_MERCHANT, (A.MERCHANT_REJECT, "merchant",
     {"note": "不同意"})], (A.APPROVE_REFUND, "agent", {"amount": 3000}),
     {"buyer": ("notice.buyer.approved", FILE_ROW),
      "merchant": ("notice.merchant.result_refund", []),
      "staff": ("notice.staff.refund_approved", PAYOUT)}, MerchantTimeout.REFUND),
    ("reject", REVIEW, (A.REJECT, "agent", {"note": "证据不足"}),
     {"buyer": ("notice.buyer.rejected", [["b:esc:"], *FILE_ROW])}, MerchantTimeout.REFUND),
    ("escalate_after_reject", REJECTED, (A.ESCALATE, "buyer", {}),
     {"buyer": ("notice.buyer.escalated", WITHDRAW_ROW),
      "staff": ("notice.staff.arbitration_needed", ARBITRATE)}, MerchantTimeout.REFUND),
    ("rule_for_buyer", ARBITRATION, (A.RULE_FOR_BUYER, "arbitrator", {"amount": 3000}),
     {"buyer": ("notice.buyer.ruled_for_buyer", FILE_ROW),
      "merchant": ("notice.merchant.result_refund", []),
      "staff": ("notice.staff.refund_approved", PAYOUT)}, MerchantTimeout.REFUND),
    ("rule_for_merchant", ARBITRATION, (A.RULE_FOR_MERCHANT, "arbitrator", {"note": "已发货"}),
     {"buyer": ("notice.buyer.ruled_for_merchant", FILE_ROW),
      "merchant": ("notice.merchant.result_no_refund", [])}, MerchantTimeout.REFUND),
    ("confirm_refund", APPROVED, (A.CONFIRM_REFUND, "agent", {}),
     {"buyer": ("notice.buyer.refunded", FILE_ROW)}, MerchantTimeout.REFUND),
    ("withdraw_in_review", REVIEW, (A.WITHDRAW, "buyer", {}),
     {"buyer": ("notice.buyer.withdrawn", FILE_ROW),
      "staff": ("notice.staff.withdrawn", CARD)}, MerchantTimeout.REFUND),
    ("withdraw_with_merchant", TO_MERCHANT, (A.WITHDRAW, "buyer", {}),
     {"buyer": ("notice.buyer.withdrawn", FILE_ROW),
      "merchant": ("notice.merchant.withdrawn", []),
      "staff": ("notice.staff.withdrawn", CARD)}, MerchantTimeout.REFUND),
    ("send_to_assessment", REVIEW, (A.SEND_TO_ASSESSMENT, "agent", {"note": ASSESS}),
     {"buyer": ("notice.buyer.assessment_started", WITHDRAW_ROW)}, MerchantTimeout.REFUND),
    ("record_assessment", ASSESSING, (A.RECORD_ASSESSMENT, "agent", {"note": "截图属实"}),
     {"buyer": ("notice.buyer.assessment_done", WITHDRAW_ROW)}, MerchantTimeout.REFUND),
    ("assessment_in_arbitration", ARBITRATION,
     (A.SEND_TO_ASSESSMENT, "arbitrator", {"note": ASSESS}),
     {"buyer": ("notice.buyer.assessment_started", WITHDRAW_ROW),
      "merchant": ("notice.merchant.assessment_started", [])}, MerchantTimeout.REFUND),
    ("assessment_back_to_arbitration",
     [*ARBITRATION, (A.SEND_TO_ASSESSMENT, "arbitrator", {"note": ASSESS})],
     (A.RECORD_ASSESSMENT, "arbitrator", {"note": "截图属实"}),
     {"buyer": ("notice.buyer.assessment_done", WITHDRAW_ROW),
      "merchant": ("notice.merchant.assessment_done", []),
      "staff": ("notice.staff.arbitration_needed", ARBITRATE)}, MerchantTimeout.REFUND),
    ("close", OFFERED, (A.CLOSE, "admin", {"note": "双方已线下和解"}),
     {"buyer": ("notice.buyer.closed", FILE_ROW),
      "merchant": ("notice.merchant.closed", [])}, MerchantTimeout.REFUND),
    ("instant_refund", [], (A.INSTANT_REFUND, "system", {"amount": 3000}),
     {"buyer": ("notice.buyer.instant_refund", FILE_ROW),
      "merchant": ("notice.merchant.instant_refund", []),
      "staff": ("notice.staff.instant_refund", PAYOUT)}, MerchantTimeout.REFUND),
    ("confirm_instant_refund", INSTANT, (A.CONFIRM_REFUND, "agent", {}),
     {"buyer": ("notice.buyer.refunded", FILE_ROW),
      "merchant": ("notice.merchant.instant_paid", [["mc:con:"]])}, MerchantTimeout.REFUND),
    ("merchant_contest", INSTANT_PAID,
     (A.MERCHANT_CONTEST, "merchant", {"note": "卡密已于付款后正常发放"}),
     {"buyer": ("notice.buyer.contested", FILE_ROW),
      "staff": ("notice.staff.contested", [["st:card:", "st:ev:"], ["st:cth:", "st:ctf:"]])},
     MerchantTimeout.REFUND),
    ("uphold_contest", CONTESTED, (A.UPHOLD_CONTEST, "agent", {"note": "商家提供了发放记录"}),
     {"buyer": ("notice.buyer.contest_upheld", FILE_ROW),
      "merchant": ("notice.merchant.contest_upheld", [])}, MerchantTimeout.REFUND),
    ("dismiss_contest", CONTESTED, (A.DISMISS_CONTEST, "agent", {}),
     {"buyer": ("notice.buyer.contest_dismissed", FILE_ROW),
      "merchant": ("notice.merchant.contest_dismissed", [])}, MerchantTimeout.REFUND),
]


@pytest.mark.parametrize(
    ("setup", "step", "expected", "silence"),
    [pytest.param(*row[1:], id=row[0]) for row in ROWS],
)
async def test_each_action_tells_each_audience_its_key_with_the_buttons_that_fit(
    setup: list[Step], step: Step, expected: Expected, silence: MerchantTimeout
) -> None:
    world = NoticeWorld(Policy(merchant_timeout=silence))
    await world.file()
    for action, who, kwargs in setup:
        await world.step(action, who, **kwargs)
    world.mark()

    await world.step(step[0], step[1], **step[2])

    sent = by_audience(world.new_sent())
    got = {audience: (item.key, item.button_prefixes) for audience, item in sent.items()}
    assert got == expected
    render_everywhere(list(sent.values()))


def test_every_lifecycle_action_has_a_row() -> None:
    tested = {row[2][0] for row in ROWS}

    assert tested == set(Action)


async def test_a_new_case_reaches_the_staff_chat_only_with_the_review_buttons() -> None:
    world = NoticeWorld()

    await world.file()

    sent = by_audience(world.new_sent())
    assert set(sent) == {"staff"}
    staff = sent["staff"]
    assert staff.key == "notice.staff.new_case"
    assert staff.button_prefixes == [
        ["st:take:", "st:card:", "st:ev:"],
        ["st:req:", "st:mer:"],
        ["st:appf:", "st:appp:", "st:rej:"],
    ]
    assert staff.reply.params["deadline"].isoformat() == "2026-12-02T00:00:00+08:00"
    assert staff.reply.params["evidence_count"] == 1
    render_everywhere([staff])


async def test_the_submit_outcome_is_the_new_case_notice_and_queues_it_once() -> None:
    world = NoticeWorld()
    await world.file()
    first = world.store.events[world.case_no][0]

    async with FakeUnitOfWork(world.store) as uow:
        await world.notices(uow, Outcome(world.case, world.case, first))
        await uow.commit()

    assert [item.key for item in world.all_sent()] == ["notice.staff.new_case"]
