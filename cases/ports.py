"""What the domain needs from storage: repositories and a unit of work, as protocols.

`storage/` implements them on SQLAlchemy; tests implement them in memory. Repositories never
commit: the unit of work owns the transaction, so a state change and everything it causes
(events, evidence rows, jobs) land together or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, Self

from cases.fingerprints import FingerprintRepository as FingerprintRepository
from cases.health import LoopStatus
from cases.model import (
    Case,
    CaseEvent,
    EvidenceFile,
    EvidenceStatus,
    Merchant,
    MerchantLegal,
    Order,
    StaffMember,
)
from cases.ratings import Rating
from cases.risk import RiskFacts
from cases.screen_reading import ScreenReading
from cases.stats import CaseFacts

RatingGroup = Literal["reason", "merchant", "staff", "all"]


class DuplicateCaseNumberError(Exception):
    """The generated case number is taken; the caller draws another."""


class HistoryConflictError(Exception):
    """Another transaction appended to the case's history first; the caller tries again."""

    def __init__(self, case_no: str) -> None:
        super().__init__(case_no)
        self.case_no = case_no


class OpenCaseExistsError(Exception):
    """The order already has an open case (one open case per order)."""

    def __init__(self, case_no: str) -> None:
        super().__init__(case_no)
        self.case_no = case_no


@dataclass(frozen=True)
class StoredEvidence:
    id: int
    case_no: str
    file: EvidenceFile
    received_at: datetime
    sha256: str | None = None
    stored_path: str | None = None
    status: EvidenceStatus = EvidenceStatus.RECEIVED


@dataclass(frozen=True)
class AnonymisedCase:
    """What removing a buyer's personal data from one final case took away."""

    evidence_removed: int  # evidence rows marked REMOVED
    digests: tuple[str, ...]  # SHA-256 of their stored files, whose deletion is now due


@dataclass(frozen=True)
class MerchantAccount:
    """A merchant as the operator lists it: its binding, an unused link, its open cases."""

    merchant: Merchant
    link_pending: bool  # a binding link was made and not used yet
    open_cases: int


@dataclass(frozen=True)
class UserProfile:
    user_id: int
    locale: str | None  # chosen with /language; None = follow Telegram's language_code
    language_code: str | None
    username: str | None


class OrderRepository(Protocol):
    async def get(self, order_no: str) -> Order | None: ...

    async def upsert(self, order: Order) -> bool:
        """Inserts or updates by order number; True when something changed."""
        ...


class CaseRepository(Protocol):
    async def add(self, case: Case) -> None:
        """Raises DuplicateCaseNumberError or OpenCaseExistsError; never half-inserts."""
        ...

    async def get(self, case_no: str) -> Case | None: ...

    async def open_for_order(self, order_no: str) -> Case | None: ...

    async def list_for_buyer(self, buyer_id: int, limit: int) -> Sequence[Case]:
        """Newest first."""
        ...

    async def update(self, case: Case) -> None:
        """Saves a changed case (status, amounts, deadlines). Raises LookupError for an unknown
        case and OpenCaseExistsError when reopening it would make a second open case."""
        ...


class CaseQueries(Protocol):
    """Read-side look-ups over cases, for staff lists and risk hints."""

    async def open_by_deadline(self, limit: int) -> Sequence[Case]:
        """Open cases, nearest next_deadline_at first (cases without one last)."""
        ...

    async def count_for_buyer(self, buyer_id: int) -> int: ...


class RiskQueries(Protocol):
    """The plain counts behind a case's risk signals (cases/risk.py), each an indexed query."""

    async def facts(self, case: Case, since: datetime) -> RiskFacts:
        """The buyer's other cases filed up to this one, the first order of the order's buyer
        account, and the merchant's other cases (by reason) and orders from `since` on."""
        ...


class EventRepository(Protocol):
    async def last(self, case_no: str) -> CaseEvent | None: ...

    async def append(self, event: CaseEvent) -> None: ...

    async def list(self, case_no: str) -> Sequence[CaseEvent]: ...


class EvidenceRepository(Protocol):
    async def add(self, case_no: str, file: EvidenceFile, received_at: datetime) -> int: ...

    async def replace_failed(
        self, case_no: str, file: EvidenceFile, received_at: datetime
    ) -> int | None:
        """The same file sent again after its download failed: records the new copy (Telegram's
        new file id) as received and returns the evidence id; None when there is no such file."""
        ...

    async def get(self, evidence_id: int) -> StoredEvidence | None: ...

    async def list(self, case_no: str) -> Sequence[StoredEvidence]: ...

    async def mark_stored(self, evidence_id: int, sha256: str, stored_path: str) -> None:
        """Records the downloaded copy; the status becomes STORED."""
        ...

    async def set_status(self, evidence_id: int, status: EvidenceStatus) -> None:
        """Marks a file REJECTED or FAILED (nothing is stored for it)."""
        ...

    async def in_use(self, sha256: str) -> bool:
        """True while any evidence not REMOVED refers to this stored content.

        Files are content-addressed, so one file on disk may serve several cases (even of
        several buyers); it may only be deleted when none of them needs it any more."""
        ...


class ScreenReadingRepository(Protocol):
    """What was read in each evidence image (cases/screen_reading.py), one row per file."""

    async def start(self, evidence_id: int, case_no: str, at: datetime) -> int:
        """Records a read under way and returns how many reads of the file have started,
        this one included (a read whose process died is counted, not lost)."""
        ...

    async def finish(self, reading: ScreenReading) -> None:
        """Records the outcome: the text and matches, or the error."""
        ...

    async def for_case(self, case_no: str) -> Sequence[ScreenReading]:
        """The case's readings, by evidence id."""
        ...

    async def unread_images(self, after_id: int, limit: int) -> Sequence[tuple[int, str]]:
        """Stored images (evidence id, SHA-256) after `after_id` that have no reading yet, by
        id: the backfill of files stored before reading existed."""
        ...


class OwnershipAttemptRepository(Protocol):
    async def failures_since(self, user_id: int, order_no: str, since: datetime) -> int: ...

    async def latest_failures(self, user_id: int, order_no: str, limit: int) -> Sequence[datetime]:
        """Times of the newest failed answers, newest first."""
        ...

    async def record_failure(self, user_id: int, order_no: str, at: datetime) -> None: ...

    async def clear(self, user_id: int, order_no: str) -> None: ...


class UserRepository(Protocol):
    async def get(self, user_id: int) -> UserProfile | None: ...

    async def touch(
        self, user_id: int, language_code: str | None, username: str | None, at: datetime
    ) -> UserProfile:
        """Creates or refreshes what Telegram tells about the user."""
        ...

    async def set_locale(self, user_id: int, locale: str) -> None: ...


class PersonalDataRepository(Protocol):
    """Removes a buyer's personal data on their request (/deletemydata); see cases/erasure.py."""

    async def anonymise_case(self, case_no: str, at: datetime) -> AnonymisedCase:
        """Blanks the case's description and marks it removed at `at`; marks each evidence
        file REMOVED, dropping its Telegram ids, file name and stored path (the SHA-256,
        type, size and time stay, as the case's record of what was shown)."""
        ...

    async def forget_user(self, user_id: int, keep_attempts_since: datetime) -> int:
        """Deletes what is kept about the user outside cases: the profile (username,
        language), failed ownership checks and case look-ups, the record that they blocked
        the bot, their handled updates and the messages already sent to them. Failed checks
        of an order (or of look-ups) that failed again since `keep_attempts_since` are kept,
        so a running lock still holds; returns how many of those were kept."""
        ...

    async def record_erasure(
        self, at: datetime, cases_anonymised: int, cases_kept: int, evidence_removed: int
    ) -> None:
        """Records that a removal happened, with counts only (no user id, no case number)."""
        ...


class RatingRepository(Protocol):
    """Satisfaction questions and answers, one per case (cases/ratings.py)."""

    async def ask(self, case_no: str, staff_id: int | None, at: datetime) -> bool:
        """Records that the buyer is asked to rate the case; False when it was asked before."""
        ...

    async def get(self, case_no: str) -> Rating | None: ...

    async def rate(self, case_no: str, score: int, at: datetime) -> bool:
        """Stores the score of a case asked and not rated yet; False (changing nothing) else."""
        ...

    async def comment(self, case_no: str, text: str) -> bool:
        """Stores the comment of a rated case that has none yet; False (changing nothing) else."""
        ...

    async def score_counts(
        self,
        by: RatingGroup,
        since: datetime | None,
        until: datetime | None,
        merchant_code: str | None = None,
    ) -> Sequence[tuple[str | int | None, int, int]]:
        """(group, score, how many) of the ratings given for the cases filed in [since, until)
        (of one merchant, if given), as the stats count cases: grouped by complaint type
        (reason), merchant code, staff member or nothing ("all")."""
        ...


class StaffRepository(Protocol):
    async def role_of(self, user_id: int) -> str | None:
        """'agent', 'arbitrator', 'admin' or None."""
        ...

    async def set_role(self, user_id: int, role: str, at: datetime) -> None: ...

    async def remove(self, user_id: int) -> bool:
        """True when the user had a role."""
        ...

    async def list(self) -> Sequence[StaffMember]:
        """Every staff member, ordered by user id."""
        ...


class MerchantRepository(Protocol):
    async def get(self, code: str) -> Merchant | None: ...

    async def by_user(self, user_id: int) -> Merchant | None: ...

    async def upsert(self, code: str, name: str, at: datetime) -> Merchant: ...

    async def set_bind_token(self, code: str, token_hash: str, at: datetime) -> None:
        """Stores the hash of a one-time binding token (a new token replaces the old).

        Raises LookupError for an unknown merchant. An existing binding stays until the new
        token is used (re-issuing a token moves the merchant to another account)."""
        ...

    async def bind(self, token_hash: str, user_id: int, at: datetime) -> Merchant | None:
        """Binds the merchant whose token hash matches to the user and spends the token.

        None, changing nothing, when no merchant holds the token (unknown or already spent) or
        when the user is already bound to another merchant (the token stays usable by the right
        account); `by_user(user_id)` tells the two apart."""
        ...

    async def list(self) -> Sequence[MerchantAccount]:
        """Every merchant, by code."""
        ...

    async def unbind(self, code: str) -> Merchant | None:
        """Unbinds the merchant's account and voids an unused link; returns it as it was.

        None for an unknown merchant."""
        ...

    async def legal(self, code: str) -> MerchantLegal | None:
        """The merchant's legal details; None when unknown or never set."""
        ...

    async def set_legal(self, code: str, legal: MerchantLegal) -> None:
        """Stores the legal details (replacing earlier ones); LookupError for an unknown code."""
        ...


class OutboxRepository(Protocol):
    """Messages caused by a state change, written in the same transaction as the change."""

    async def add(
        self,
        chat_id: int,
        payload: Mapping[str, Any],
        due_at: datetime,
        key: str | None = None,
    ) -> None:
        """Queues one message; a message with the same non-None key is not queued twice.

        `payload` is JSON-ready: {"locale", "key", "params", "buttons"} of a rendered reply.
        """
        ...


class DraftRepository(Protocol):
    """The saved dialog state of one user (a JSON document owned by dialogs/)."""

    async def load(self, user_id: int) -> str | None: ...

    async def save(self, user_id: int, state_json: str, at: datetime) -> None: ...

    async def delete(self, user_id: int) -> None: ...


class JobRepository(Protocol):
    async def add(
        self, kind: str, due_at: datetime, payload: Mapping[str, Any], key: str | None = None
    ) -> None:
        """Schedules a job; a job with the same non-None key is not added twice."""
        ...

    async def has(self, key: str) -> bool:
        """Whether a job with this key was ever added (pending or done)."""
        ...

    async def cancel(self, key_prefix: str, at: datetime) -> int:
        """Marks every pending job whose key starts with `key_prefix` done; returns how many.

        The match is literal and case-sensitive ("_" and "%" are plain characters); an empty
        prefix raises ValueError rather than cancel every keyed job."""
        ...


class LoopHealthRepository(Protocol):
    """What every bot process last reported about its background loops (cases/health.py)."""

    async def list(self) -> Sequence[LoopStatus]:
        """Every reported loop of every process that has reported lately or not at all."""
        ...


class StatsQueries(Protocol):
    """The read side of the stats (cases/stats.py)."""

    async def case_facts(
        self, start: datetime, end: datetime, merchant_code: str | None = None
    ) -> Sequence[CaseFacts]:
        """Every case filed in [start, end), of one merchant if given, with its events folded."""
        ...

    async def backlog(self, now: datetime, merchant_code: str | None = None) -> list[int]:
        """Open cases per age bucket (BACKLOG_DAYS), youngest first."""
        ...


class UnitOfWork(Protocol):
    orders: OrderRepository
    cases: CaseRepository
    events: EventRepository
    evidence: EvidenceRepository
    ownership: OwnershipAttemptRepository
    users: UserRepository
    staff: StaffRepository
    drafts: DraftRepository
    merchants: MerchantRepository
    case_queries: CaseQueries
    risk: RiskQueries
    personal_data: PersonalDataRepository
    stats: StatsQueries
    ratings: RatingRepository
    fingerprints: FingerprintRepository
    readings: ScreenReadingRepository

    # Read-only, so an implementation may expose a richer job repository (storage adds the
    # worker side: claim_due, complete, retry); a plain attribute still satisfies it.
    @property
    def jobs(self) -> JobRepository: ...

    # Read-only for the same reason: storage adds the sender side (claim_due, mark_sent, ...).
    @property
    def outbox(self) -> OutboxRepository: ...

    # Read-only for the same reason: storage adds the reporting side (bot/watchdog.py).
    @property
    def loops(self) -> LoopHealthRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc_info: object) -> None:
        """Rolls back whatever was not committed."""
        ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...
