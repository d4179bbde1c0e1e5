"""What can be done to a case: the names the lifecycle table, the deadlines and the dialogs share.

Its own module because the lifecycle's rules build on the deadlines (when a wait ends) while the
deadlines name the action taken when one passes; neither imports the other for it.
"""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    TAKE = "take"
    ASSIGN = "assign"
    REQUEST_EVIDENCE = "request_evidence"
    SUPPLY_EVIDENCE = "supply_evidence"
    EVIDENCE_TIMEOUT = "evidence_timeout"
    SEND_TO_MERCHANT = "send_to_merchant"
    MERCHANT_ACCEPT = "merchant_accept"
    MERCHANT_OFFER = "merchant_offer"
    MERCHANT_REJECT = "merchant_reject"
    MERCHANT_TIMEOUT = "merchant_timeout"
    ACCEPT_OFFER = "accept_offer"
    DECLINE_OFFER = "decline_offer"
    ESCALATE = "escalate"
    ESCALATION_EXPIRED = "escalation_expired"
    APPROVE_REFUND = "approve_refund"
    REJECT = "reject"
    RULE_FOR_BUYER = "rule_for_buyer"
    RULE_FOR_MERCHANT = "rule_for_merchant"
    CONFIRM_REFUND = "confirm_refund"
    WITHDRAW = "withdraw"
    NOTE = "note"
    CLOSE = "close"
    # Instant refund (闪电退款, cases/instant.py) and the merchant's contest of it.
    INSTANT_REFUND = "instant_refund"
    MERCHANT_CONTEST = "merchant_contest"
    UPHOLD_CONTEST = "uphold_contest"
    DISMISS_CONTEST = "dismiss_contest"
    SEND_TO_ASSESSMENT = "send_to_assessment"
    RECORD_ASSESSMENT = "record_assessment"
