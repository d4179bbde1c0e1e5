"""Domain objects shared by every layer. Amounts are fen (int); datetimes are timezone-aware."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class OrderStatus(StrEnum):
    PAID = "paid"
    DELIVERED = "delivered"
    REFUNDED = "refunded"


CUSTOM_CATEGORY = "custom"


@dataclass(frozen=True)
class Order:
    order_no: str
    buyer_account: str
    merchant_code: str
    product: str
    category: str
    amount: int  # fen
    currency: str
    paid_at: datetime
    delivered_at: datetime | None
    status: OrderStatus
    # The card code (卡密) delivered, when the platform's export has it: screenshots of a
    # "used" or "invalid" code are matched against it (cases/screen_reading.py).
    card_code: str | None = None
    # When the platform saw the card code used (redeemed) first; None when it has no record.
    # A use before the payment means the buyer was sold a code that was already spent.
    code_redeemed_at: datetime | None = None

    @property
    def is_custom(self) -> bool:
        return self.category.strip().lower() == CUSTOM_CATEGORY


class CaseStatus(StrEnum):
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    AWAITING_EVIDENCE = "awaiting_evidence"
    AWAITING_MERCHANT = "awaiting_merchant"
    NEGOTIATING = "negotiating"
    IN_ARBITRATION = "in_arbitration"
    # A third party (an appraiser, a testing lab, the game operator) assesses the evidence.
    AWAITING_ASSESSMENT = "awaiting_assessment"
    REFUND_PENDING = "refund_pending"
    REFUNDED = "refunded"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


FINAL_STATUSES = frozenset(
    {CaseStatus.REFUNDED, CaseStatus.REJECTED, CaseStatus.WITHDRAWN, CaseStatus.CLOSED}
)


def is_open(status: CaseStatus) -> bool:
    return status not in FINAL_STATUSES


class Reason(StrEnum):
    NOT_DELIVERED = "not_delivered"
    CARD_INVALID = "card_invalid"
    NOT_AS_DESCRIBED = "not_as_described"
    QUALITY = "quality"
    SERVICE_DELAYED = "service_delayed"
    FALSE_ADVERTISING = "false_advertising"
    FRAUD = "fraud"
    NOT_SATISFIED = "not_satisfied"
    OTHER = "other"


# Reasons a reviewer cannot judge without something to look at.
REASONS_WITHOUT_REQUIRED_EVIDENCE = frozenset({Reason.NOT_SATISFIED, Reason.OTHER})


def evidence_required(reason: Reason) -> bool:
    return reason not in REASONS_WITHOUT_REQUIRED_EVIDENCE


class RefundKind(StrEnum):
    FULL = "full"
    PARTIAL = "partial"


class RefundMethod(StrEnum):
    ORIGINAL = "original"  # 原路返回
    BALANCE = "balance"  # 平台余额


class EvidenceKind(StrEnum):
    PHOTO = "photo"
    DOCUMENT = "document"
    VIDEO = "video"


class EvidenceStatus(StrEnum):
    """Where an evidence file stands; staff views and the case file show the last three."""

    RECEIVED = "received"  # recorded, download pending
    STORED = "stored"  # downloaded into EVIDENCE_DIR, its SHA-256 recorded
    REJECTED = "rejected"  # the content check failed (its content is not what was declared)
    FAILED = "failed"  # the download was given up after repeated failures
    REMOVED = "removed"  # deleted on the buyer's request (/deletemydata)


@dataclass(frozen=True)
class EvidenceFile:
    """A file the buyer sent, as Telegram describes it (before it is downloaded)."""

    kind: EvidenceKind
    file_id: str
    file_unique_id: str
    mime_type: str | None
    size: int | None
    file_name: str | None = None


class ActorKind(StrEnum):
    BUYER = "buyer"
    MERCHANT = "merchant"
    AGENT = "agent"
    ARBITRATOR = "arbitrator"
    ADMIN = "admin"
    SYSTEM = "system"


class DeadlineKind(StrEnum):
    """Whose move a case waits for, and so who is reminded and who is alerted when it passes."""

    REVIEW = "review"  # support staff review the case
    EVIDENCE = "evidence"  # the buyer supplies more evidence
    MERCHANT = "merchant"  # the merchant responds
    BUYER_DECISION = "buyer_decision"  # the buyer answers an offer / may escalate
    ARBITRATION = "arbitration"  # the arbitrator rules
    REFUND = "refund"  # the refund is paid out
    ASSESSMENT = "assessment"  # a third party assesses; staff chase it and record the result


@dataclass(frozen=True)
class Merchant:
    code: str
    name: str
    telegram_user_id: int | None = None


@dataclass(frozen=True)
class MerchantLegal:
    """Who a merchant is in law, as its business licence says: the respondent of a dossier."""

    legal_name: str
    address: str
    credit_code: str  # 统一社会信用代码, checked (cases/credit_code.py)


@dataclass(frozen=True)
class StaffMember:
    user_id: int
    role: str  # agent, arbitrator, admin


@dataclass(frozen=True)
class Case:
    case_no: str
    order_no: str
    buyer_id: int  # Telegram user id of the buyer who filed it
    status: CaseStatus
    reason: Reason
    description: str
    refund_amount: int  # fen, what the buyer asks for
    refund_method: RefundMethod
    currency: str
    created_at: datetime
    updated_at: datetime
    review_due_at: datetime | None
    evidence_count: int = 0
    next_deadline_at: datetime | None = None
    # The process after filing (issue: case lifecycle). Defaults keep a freshly filed case valid.
    merchant_code: str = ""
    order_amount: int = 0  # fen; the base of the refund cap
    assignee_id: int | None = None  # the staff member working the case
    deadline_kind: DeadlineKind | None = None  # whose deadline next_deadline_at is
    offer_amount: int | None = None  # fen; the merchant's partial offer while negotiating
    offer_declined: bool = False  # the buyer declined the offer (or the merchant rejected)
    approved_amount: int | None = None  # fen; what is (to be) refunded once approved
    paused_review_seconds: int | None = None  # working seconds of review left, while paused
    # When the buyer's personal data (description, evidence files) was removed at their request.
    personal_data_removed_at: datetime | None = None
    # Random, rotated when personal data is removed: it keeps the state digests in the hash
    # chain from confirming a guess at a removed description (see cases/audit.py).
    audit_salt: str = ""


@dataclass(frozen=True)
class CaseEvent:
    case_no: str
    seq: int
    at: datetime
    actor_kind: ActorKind
    actor_id: int | None
    action: str
    from_status: CaseStatus | None
    to_status: CaseStatus
    note: str = ""
    amount: int | None = None
    prev_hash: str = ""
    hash: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    # The digest of the case row and its evidence rows as this event left them (cases/audit.py);
    # empty on events written before the rows were sealed into the chain.
    state_digest: str = ""
