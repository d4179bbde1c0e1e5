"""An in-memory unit of work implementing every repository of cases/ports.py with dicts.

The data lives in a `FakeStore` that outlives any one unit of work, so a test can "restart the
bot" by building a new driver over the same store. Like the real one, a unit of work rolls back
whatever it did not commit: it works on a copy of the store and publishes it on commit.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Self

from cases.fingerprints import Candidate, EvidenceMatch, Fingerprint, wants_fingerprint
from cases.health import LoopStatus
from cases.model import (
    Case,
    CaseEvent,
    CaseStatus,
    EvidenceFile,
    EvidenceStatus,
    Merchant,
    MerchantLegal,
    Order,
    Reason,
    StaffMember,
    is_open,
)
from cases.ports import (
    AnonymisedCase,
    DuplicateCaseNumberError,
    MerchantAccount,
    OpenCaseExistsError,
    RatingGroup,
    StoredEvidence,
    UserProfile,
)
from cases.ratings import Rating
from cases.risk import BuyerRecord, RiskFacts
from cases.screen_reading import ReadingStatus, ScreenReading


@dataclass
class Job:
    kind: str
    due_at: datetime
    payload: dict[str, Any]
    key: str | None
    done_at: datetime | None = None  # set when cancelled (or, in a worker test, completed)

    @property
    def pending(self) -> bool:
        return self.done_at is None


@dataclass
class OutboxRow:
    chat_id: int
    payload: dict[str, Any]
    due_at: datetime
    key: str | None


@dataclass
class FakeStore:
    """Everything a database would hold, as plain containers."""

    orders: dict[str, Order] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)
    events: dict[str, list[CaseEvent]] = field(default_factory=dict)
    evidence: dict[int, StoredEvidence] = field(default_factory=dict)
    failures: dict[tuple[int, str], list[datetime]] = field(default_factory=dict)
    users: dict[int, UserProfile] = field(default_factory=dict)
    staff: dict[int, str] = field(default_factory=dict)
    drafts: dict[int, str] = field(default_factory=dict)
    jobs: list[Job] = field(default_factory=list)
    merchants: dict[str, Merchant] = field(default_factory=dict)
    merchant_legal: dict[str, MerchantLegal] = field(default_factory=dict)
    merchant_tokens: dict[str, str] = field(default_factory=dict)  # token hash -> merchant code
    outbox: list[OutboxRow] = field(default_factory=list)
    blocked_chats: set[int] = field(default_factory=set)
    erasures: list[tuple[datetime, int, int, int]] = field(default_factory=list)
    loops: list[LoopStatus] = field(default_factory=list)
    ratings: dict[str, Rating] = field(default_factory=dict)
    matches: list[EvidenceMatch] = field(default_factory=list)
    readings: dict[int, ScreenReading] = field(default_factory=dict)
    commits: int = 0

    def pending_jobs(self) -> list[Job]:
        return [job for job in self.jobs if job.pending]

    def copy(self) -> FakeStore:
        return copy.deepcopy(self)

    def restore(self, other: FakeStore) -> None:
        self.__dict__.update(copy.deepcopy(other.__dict__))


class FakeOrders:
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    async def get(self, order_no: str) -> Order | None:
        return self._s.orders.get(order_no)

    async def upsert(self, order: Order) -> bool:
        changed = self._s.orders.get(order.order_no) != order
        self._s.orders[order.order_no] = order
        return changed


class FakeCases:
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    async def add(self, case: Case) -> None:
        if case.case_no in self._s.cases:
            raise DuplicateCaseNumberError(case.case_no)
        open_case = await self.open_for_order(case.order_no)
        if open_case is not None:
            raise OpenCaseExistsError(open_case.case_no)
        self._s.cases[case.case_no] = case

    async def get(self, case_no: str) -> Case | None:
        return self._s.cases.get(case_no)

    async def update(self, case: Case) -> None:
        if case.case_no not in self._s.cases:
            raise LookupError(case.case_no)
        if is_open(case.status):
            other = await self.open_for_order(case.order_no)
            if other is not None and other.case_no != case.case_no:
                raise OpenCaseExistsError(other.case_no)
        self._s.cases[case.case_no] = case

    async def open_for_order(self, order_no: str) -> Case | None:
        for case in self._s.cases.values():
            if case.order_no == order_no and is_open(case.status):
                return case
        return None

    async def list_for_buyer(self, buyer_id: int, limit: int) -> Sequence[Case]:
        mine = [case for case in self._s.cases.values() if case.buyer_id == buyer_id]
        # Newest first; insertion order breaks ties, as an autoincrement id would.
        ordered = sorted(enumerate(mine), key=lambda pair: (pair[1].created_at, pair[0]))
        return [case for _, case in reversed(ordered)][:limit]


class FakeEvents:
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    async def last(self, case_no: str) -> CaseEvent | None:
        events = self._s.events.get(case_no, [])
        return events[-1] if events else None

    async def append(self, event: CaseEvent) -> None:
        events = self._s.events.setdefault(event.case_no, [])
        # A real store has a unique (case_no, seq): appending out of sequence is a bug.
        if event.seq != len(events) + 1:
            raise ValueError(f"event seq {event.seq} after {len(events)} events")
        events.append(event)

    async def list(self, case_no: str) -> Sequence[CaseEvent]:
        return list(self._s.events.get(case_no, []))


class FakeEvidence:
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    async def add(self, case_no: str, file: EvidenceFile, received_at: datetime) -> int:
        evidence_id = len(self._s.evidence) + 1
        self._s.evidence[evidence_id] = StoredEvidence(evidence_id, case_no, file, received_at)
        return evidence_id

    async def replace_failed(
        self, case_no: str, file: EvidenceFile, received_at: datetime
    ) -> int | None:
        for evidence_id, item in self._s.evidence.items():
            if (
                item.case_no == case_no
                and item.file.file_unique_id == file.file_unique_id
                and item.status is EvidenceStatus.FAILED
            ):
                self._s.evidence[evidence_id] = replace(
                    item, file=file, received_at=received_at, status=EvidenceStatus.RECEIVED
                )
                return evidence_id
        return None

    async def get(self, evidence_id: int) -> StoredEvidence | None:
        return self._s.evidence.get(evidence_id)

    async def list(self, case_no: str) -> Sequence[StoredEvidence]:
        return [item for item in self._s.evidence.values() if item.case_no == case_no]

    async def mark_stored(self, evidence_id: int, sha256: str, stored_path: str) -> None:
        item = self._s.evidence[evidence_id]
        self._s.evidence[evidence_id] = replace(
            item, sha256=sha256, stored_path=stored_path, status=EvidenceStatus.STORED
        )

    async def set_status(self, evidence_id: int, status: EvidenceStatus) -> None:
        self._s.evidence[evidence_id] = replace(self._s.evidence[evidence_id], status=status)

    async def in_use(self, sha256: str) -> bool:
        return any(
            item.sha256 == sha256 and item.status is not EvidenceStatus.REMOVED
            for item in self._s.evidence.values()
        )


class FakeOwnership:
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    async def failures_since(self, user_id: int, order_no: str, since: datetime) -> int:
        return sum(1 for at in self._s.failures.get((user_id, order_no), []) if at >= since)

    async def latest_failures(self, user_id: int, order_no: str, limit: int) -> Sequence[datetime]:
        return sorted(self._s.failures.get((user_id, order_no), []), reverse=True)[:limit]

    async def record_failure(self, user_id: int, order_no: str, at: datetime) -> None:
        self._s.failures.setdefault((user_id, order_no), []).append(at)

    async def clear(self, user_id: int, order_no: str) -> None:
        self._s.failures.pop((user_id, order_no), None)


class FakeUsers:
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    async def get(self, user_id: int) -> UserProfile | None:
        return self._s.users.get(user_id)

    async def touch(
        self, user_id: int, language_code: str | None, username: str | None, at: datetime
    ) -> UserProfile:
        old = self._s.users.get(user_id)
        profile = UserProfile(user_id, old.locale if old else None, language_code, username)
        self._s.users[user_id] = profile
        return profile

    async def set_locale(self, user_id: int, locale: str) -> None:
        old = self._s.users.get(user_id) or UserProfile(user_id, None, None, None)
        self._s.users[user_id] = replace(old, locale=locale)


class FakeStaff:
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    async def role_of(self, user_id: int) -> str | None:
        return self._s.staff.get(user_id)

    async def set_role(self, user_id: int, role: str, at: datetime) -> None:
        self._s.staff[user_id] = role

    async def remove(self, user_id: int) -> bool:
        return self._s.staff.pop(user_id, None) is not None

    async def list(self) -> Sequence[StaffMember]:
        return [StaffMember(user_id, role) for user_id, role in sorted(self._s.staff.items())]


class FakeMerchants:
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    async def get(self, code: str) -> Merchant | None:
        return self._s.merchants.get(code)

    async def by_user(self, user_id: int) -> Merchant | None:
        for merchant in self._s.merchants.values():
            if merchant.telegram_user_id == user_id:
                return merchant
        return None

    async def upsert(self, code: str, name: str, at: datetime) -> Merchant:
        old = self._s.merchants.get(code)
        merchant = Merchant(code, name, old.telegram_user_id if old else None)
        self._s.merchants[code] = merchant
        return merchant

    async def set_bind_token(self, code: str, token_hash: str, at: datetime) -> None:
        if code not in self._s.merchants:
            raise LookupError(code)
        # A new token replaces the old one.
        for old_hash, owner in list(self._s.merchant_tokens.items()):
            if owner == code:
                del self._s.merchant_tokens[old_hash]
        self._s.merchant_tokens[token_hash] = code

    async def bind(self, token_hash: str, user_id: int, at: datetime) -> Merchant | None:
        code = self._s.merchant_tokens.pop(token_hash, None)
        if code is None:
            return None
        merchant = replace(self._s.merchants[code], telegram_user_id=user_id)
        self._s.merchants[code] = merchant
        return merchant

    async def legal(self, code: str) -> MerchantLegal | None:
        return self._s.merchant_legal.get(code)

    async def set_legal(self, code: str, legal: MerchantLegal) -> None:
        if code not in self._s.merchants:
            raise LookupError(code)
        self._s.merchant_legal[code] = legal

    async def list(self) -> list[MerchantAccount]:
        pending = set(self._s.merchant_tokens.values())
        return [
            MerchantAccount(
                merchant,
                code in pending,
                sum(
                    1
                    for case in self._s.cases.values()
                    if case.merchant_code == code and is_open(case.status)
                ),
            )
            for code, merchant in sorted(self._s.merchants.items())
        ]

    async def unbind(self, code: str) -> Merchant | None:
        before = self._s.merchants.get(code)
        if before is not None:
            self._s.merchants[code] = replace(before, telegram_user_id=None)
            for token, owner in list(self._s.merchant_tokens.items()):
                if owner == code:
                    del self._s.merchant_tokens[token]
        return before


class FakeOutbox:
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    async def add(
        self,
        chat_id: int,
        payload: Mapping[str, Any],
        due_at: datetime,
        key: str | None = None,
    ) -> None:
        if key is not None and any(row.key == key for row in self._s.outbox):
            return
        self._s.outbox.append(OutboxRow(chat_id, dict(payload), due_at, key))


class FakeCaseQueries:
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    async def open_by_deadline(self, limit: int) -> Sequence[Case]:
        cases = [case for case in self._s.cases.values() if is_open(case.status)]
        # Cases without a deadline last; insertion order breaks ties.
        ordered = sorted(
            enumerate(cases),
            key=lambda pair: (
                pair[1].next_deadline_at is None,
                pair[1].next_deadline_at or pair[1].created_at,
                pair[0],
            ),
        )
        return [case for _, case in ordered][:limit]

    async def count_for_buyer(self, buyer_id: int) -> int:
        return sum(1 for case in self._s.cases.values() if case.buyer_id == buyer_id)


class FakeRisk:
    """The risk counts over the store's dicts, as storage/repositories/risk.py reads them."""

    def __init__(self, store: FakeStore) -> None:
        self._s = store

    async def facts(self, case: Case, since: datetime) -> RiskFacts:
        others = [other for other in self._s.cases.values() if other.case_no != case.case_no]
        mine = [other for other in others if other.buyer_id == case.buyer_id]
        mine = [other for other in mine if other.created_at <= case.created_at]
        buyer = BuyerRecord(
            earlier=len(mine),
            decided_for_buyer=sum(1 for c in mine if c.approved_amount is not None),
            rejected=sum(
                1
                for c in mine
                if c.approved_amount is None
                and c.status in (CaseStatus.REJECTED, CaseStatus.CLOSED)
            ),
            withdrawn=sum(
                1 for c in mine if c.approved_amount is None and c.status is CaseStatus.WITHDRAWN
            ),
        )
        order = self._s.orders.get(case.order_no)
        paid = [
            o.paid_at
            for o in self._s.orders.values()
            if order is not None and o.buyer_account == order.buyer_account
        ]
        complaints: dict[Reason, int] = {}
        for other in others:
            if other.merchant_code == case.merchant_code and other.created_at >= since:
                complaints[other.reason] = complaints.get(other.reason, 0) + 1
        orders = sum(
            1
            for o in self._s.orders.values()
            if o.merchant_code == case.merchant_code and o.paid_at >= since
        )
        return RiskFacts(buyer, min(paid, default=None), complaints, orders)


class FakePersonalData:
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    async def anonymise_case(self, case_no: str, at: datetime) -> AnonymisedCase:
        removed = [
            item
            for item in self._s.evidence.values()
            if item.case_no == case_no and item.status is not EvidenceStatus.REMOVED
        ]
        for item in removed:
            file = replace(
                item.file, file_id="", file_unique_id=f"removed-{item.id}", file_name=None
            )
            self._s.evidence[item.id] = replace(
                item, file=file, stored_path=None, status=EvidenceStatus.REMOVED
            )
        for evidence_id, reading in list(self._s.readings.items()):
            if reading.case_no == case_no:
                self._s.readings[evidence_id] = replace(reading, text="")
        case = self._s.cases[case_no]
        self._s.cases[case_no] = replace(case, description="", personal_data_removed_at=at)
        digests = sorted({item.sha256 for item in removed if item.sha256 is not None})
        return AnonymisedCase(len(removed), tuple(digests))

    async def forget_user(self, user_id: int, keep_attempts_since: datetime) -> int:
        self._s.users.pop(user_id, None)
        self._s.blocked_chats.discard(user_id)
        kept = 0
        for key, times in list(self._s.failures.items()):
            if key[0] != user_id:
                continue
            if any(at >= keep_attempts_since for at in times):
                kept += len(times)
            else:
                del self._s.failures[key]
        for case_no, rating in list(self._s.ratings.items()):
            case = self._s.cases.get(case_no)
            if case is not None and case.buyer_id == user_id:
                self._s.ratings[case_no] = replace(rating, comment=None)
        return kept

    async def record_erasure(
        self, at: datetime, cases_anonymised: int, cases_kept: int, evidence_removed: int
    ) -> None:
        self._s.erasures.append((at, cases_anonymised, cases_kept, evidence_removed))


class FakeFingerprints:
    """Keeps the matches it is given; finds no candidates (image matching is tested on SQL)."""

    def __init__(self, store: FakeStore) -> None:
        self._s = store

    async def put(self, evidence_id: int, fingerprint: Fingerprint | None, at: datetime) -> None:
        return None

    async def near(
        self, evidence_id: int, phash: int, max_distance: int, limit: int
    ) -> list[Candidate]:
        return []

    async def same_content(self, evidence_id: int, sha256: str) -> list[Candidate]:
        return []

    async def add_match(self, match: EvidenceMatch, at: datetime) -> bool:
        if match in self._s.matches:
            return False
        self._s.matches.append(match)
        return True

    async def matches(self, case_no: str) -> list[EvidenceMatch]:
        ids = {i for i, item in self._s.evidence.items() if item.case_no == case_no}
        return [m for m in self._s.matches if m.evidence_id in ids]

    async def unfingerprinted_images(self, after_id: int, limit: int) -> list[int]:
        return []


class FakeReadings:
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    async def start(self, evidence_id: int, case_no: str, at: datetime) -> int:
        before = self._s.readings.get(evidence_id)
        attempts = 1 if before is None else before.attempts + 1
        self._s.readings[evidence_id] = ScreenReading(
            evidence_id, case_no, ReadingStatus.READING, attempts=attempts, started_at=at
        )
        return attempts

    async def finish(self, reading: ScreenReading) -> None:
        before = self._s.readings[reading.evidence_id]
        self._s.readings[reading.evidence_id] = replace(
            reading, attempts=before.attempts, started_at=before.started_at
        )

    async def for_case(self, case_no: str) -> Sequence[ScreenReading]:
        return [r for _, r in sorted(self._s.readings.items()) if r.case_no == case_no]

    async def unread_images(self, after_id: int, limit: int) -> Sequence[tuple[int, str]]:
        found = [
            (item.id, item.sha256)
            for item in sorted(self._s.evidence.values(), key=lambda e: e.id)
            if item.id > after_id
            and item.status is EvidenceStatus.STORED
            and item.sha256 is not None
            and wants_fingerprint(item.file)
            and item.id not in self._s.readings
        ]
        return found[:limit]


class FakeRatings:
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    async def ask(self, case_no: str, staff_id: int | None, at: datetime) -> bool:
        if case_no in self._s.ratings:
            return False
        self._s.ratings[case_no] = Rating(case_no, at, staff_id)
        return True

    async def get(self, case_no: str) -> Rating | None:
        return self._s.ratings.get(case_no)

    async def rate(self, case_no: str, score: int, at: datetime) -> bool:
        rating = self._s.ratings.get(case_no)
        if rating is None or rating.score is not None:
            return False
        self._s.ratings[case_no] = replace(rating, score=score, rated_at=at)
        return True

    async def comment(self, case_no: str, text: str) -> bool:
        rating = self._s.ratings.get(case_no)
        if rating is None or rating.score is None or rating.comment is not None:
            return False
        self._s.ratings[case_no] = replace(rating, comment=text)
        return True

    async def score_counts(
        self,
        by: RatingGroup,
        since: datetime | None,
        until: datetime | None,
        merchant_code: str | None = None,
    ) -> Sequence[tuple[str | int | None, int, int]]:
        counts: dict[tuple[str | int | None, int], int] = {}
        for rating in self._s.ratings.values():
            case = self._s.cases[rating.case_no]
            if rating.score is None or (merchant_code not in (None, case.merchant_code)):
                continue
            if (since is not None and case.created_at < since) or (
                until is not None and case.created_at >= until
            ):
                continue
            group: str | int | None = {
                "reason": case.reason.value,
                "merchant": case.merchant_code,
                "staff": rating.staff_id,
                "all": "all",
            }[by]
            counts[(group, rating.score)] = counts.get((group, rating.score), 0) + 1
        return [(group, score, n) for (group, score), n in counts.items()]


class FakeDrafts:
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    async def load(self, user_id: int) -> str | None:
        return self._s.drafts.get(user_id)

    async def save(self, user_id: int, state_json: str, at: datetime) -> None:
        self._s.drafts[user_id] = state_json

    async def delete(self, user_id: int) -> None:
        self._s.drafts.pop(user_id, None)


class FakeJobs:
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    async def add(
        self, kind: str, due_at: datetime, payload: Mapping[str, Any], key: str | None = None
    ) -> None:
        if key is not None and any(job.key == key for job in self._s.jobs):
            return
        self._s.jobs.append(Job(kind, due_at, dict(payload), key))

    async def has(self, key: str) -> bool:
        return any(job.key == key for job in self._s.jobs)

    async def finish(self, key: str, at: datetime) -> None:
        """Marks the job with this key done, as a worker completes a job it ran."""
        for job in self._s.jobs:
            if job.key == key and job.pending:
                job.done_at = at

    async def cancel(self, key_prefix: str, at: datetime) -> int:
        cancelled = 0
        for job in self._s.jobs:
            if job.pending and job.key is not None and job.key.startswith(key_prefix):
                job.done_at = at
                cancelled += 1
        return cancelled


class FakeLoops:
    def __init__(self, store: FakeStore) -> None:
        self._s = store

    async def list(self) -> Sequence[LoopStatus]:
        return list(self._s.loops)


class FakeStats:
    """No figures: the stats are tested on real storage (tests/bot/test_stats_through_bot.py)."""

    async def case_facts(
        self, start: datetime, end: datetime, merchant_code: str | None = None
    ) -> Sequence[Any]:
        return []

    async def backlog(self, now: datetime, merchant_code: str | None = None) -> list[int]:
        return [0, 0, 0, 0]


class FakeUnitOfWork:
    """One transaction over a FakeStore: changes are published on commit, dropped otherwise."""

    def __init__(self, store: FakeStore | None = None) -> None:
        self.store = store if store is not None else FakeStore()
        self.committed = False
        self._work = self.store
        self._bind(self.store)

    def _bind(self, data: FakeStore) -> None:
        self.orders = FakeOrders(data)
        self.cases = FakeCases(data)
        self.events = FakeEvents(data)
        self.evidence = FakeEvidence(data)
        self.ownership = FakeOwnership(data)
        self.users = FakeUsers(data)
        self.staff = FakeStaff(data)
        self.drafts = FakeDrafts(data)
        self.jobs = FakeJobs(data)
        self.loops = FakeLoops(data)
        self.merchants = FakeMerchants(data)
        self.outbox = FakeOutbox(data)
        self.case_queries = FakeCaseQueries(data)
        self.risk = FakeRisk(data)
        self.personal_data = FakePersonalData(data)
        self.stats = FakeStats()
        self.ratings = FakeRatings(data)
        self.fingerprints = FakeFingerprints(data)
        self.readings = FakeReadings(data)

    async def __aenter__(self) -> Self:
        self.committed = False
        self._work = self.store.copy()
        self._bind(self._work)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.rollback()

    async def commit(self) -> None:
        self._work.commits = self.store.commits + 1
        self.store.restore(self._work)
        self.committed = True

    async def rollback(self) -> None:
        self._work = self.store.copy()
        self._bind(self._work)
