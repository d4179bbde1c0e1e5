"""The SQLAlchemy unit of work: one session, one transaction, rolled back unless committed.

With SQLite or PostgreSQL it runs on a connection of its own (storage/connections.py): the
direct statements run on the driver connection, the session only when a statement needs it.
"""

from __future__ import annotations

import logging
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cases.ports import (
    CaseQueries,
    CaseRepository,
    DraftRepository,
    EventRepository,
    EvidenceRepository,
    FingerprintRepository,
    MerchantRepository,
    OrderRepository,
    OwnershipAttemptRepository,
    PersonalDataRepository,
    RatingRepository,
    RiskQueries,
    ScreenReadingRepository,
    StaffRepository,
    StatsQueries,
    UnitOfWork,
    UserRepository,
)
from storage.connections import Connection, Connections, Driver
from storage.pg_driver import PgConnection
from storage.ports import (
    InboxQueue,
    JobQueue,
    LeaseRegistry,
    LoopReports,
    OutboxQueue,
    ProcessedUpdateRepository,
    RetentionRepository,
    WorkerRegistry,
)
from storage.repositories._direct import run_on_driver
from storage.repositories.case_queries import SqlCaseQueries
from storage.repositories.cases import SqlCaseRepository
from storage.repositories.drafts import SqlDraftRepository
from storage.repositories.events import SqlEventRepository
from storage.repositories.evidence import SqlEvidenceRepository
from storage.repositories.fingerprints import SqlFingerprintRepository
from storage.repositories.inbox import SqlInboxRepository
from storage.repositories.jobs import SqlJobRepository
from storage.repositories.leases import SqlLeaseRepository
from storage.repositories.loops import SqlLoopReports
from storage.repositories.merchants import SqlMerchantRepository
from storage.repositories.orders import SqlOrderRepository
from storage.repositories.outbox import SqlOutboxRepository
from storage.repositories.ownership import SqlOwnershipAttemptRepository
from storage.repositories.personal_data import SqlPersonalDataRepository
from storage.repositories.ratings import SqlRatingRepository
from storage.repositories.readings import SqlScreenReadingRepository
from storage.repositories.retention import SqlRetentionRepository
from storage.repositories.risk import SqlRiskQueries
from storage.repositories.staff import SqlStaffRepository
from storage.repositories.stats import SqlStatsQueries
from storage.repositories.updates import SqlProcessedUpdateRepository
from storage.repositories.users import SqlUserRepository, forget_touched
from storage.repositories.workers import SqlWorkerRegistry

log = logging.getLogger(__name__)


class SqlUnitOfWork:
    """`async with SqlUnitOfWork(factory) as uow: ...; await uow.commit()`.

    Repositories share the session and never commit. Leaving the block rolls back whatever was
    not committed, on success as on error, so forgetting `commit()` loses the work instead of
    half-saving it. After a commit the unit of work can go on; the next statement opens a new
    transaction.
    """

    # Typed as the protocols, which is all callers may rely on (and what mypy checks each
    # repository against); `jobs`, `outbox` and `updates` add the worker side from
    # storage.ports.
    orders: OrderRepository
    cases: CaseRepository
    events: EventRepository
    evidence: EvidenceRepository
    ownership: OwnershipAttemptRepository
    users: UserRepository
    staff: StaffRepository
    drafts: DraftRepository
    merchants: MerchantRepository
    outbox: OutboxQueue
    case_queries: CaseQueries
    risk: RiskQueries
    personal_data: PersonalDataRepository
    ratings: RatingRepository
    fingerprints: FingerprintRepository
    readings: ScreenReadingRepository
    jobs: JobQueue
    updates: ProcessedUpdateRepository
    inbox: InboxQueue
    retention: RetentionRepository
    leases: LeaseRegistry
    loops: LoopReports
    workers: WorkerRegistry
    stats: StatsQueries

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        connections: Connections | None = None,
    ) -> None:
        """Sessions from `session_factory`, or, given `connections`, on one of those."""
        self._session_factory = session_factory
        self._connections = connections
        self._session: AsyncSession | None = None
        self._connection: Connection | None = None

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("a unit of work is not reentrant; create a new one")
        if self._connections is None:
            session = self._session_factory()
            self.__dict__.update(_repositories(session))
        else:
            self._connection = connection = await self._connections.take()
            # One session and one set of repositories per connection, for each unit of work
            # on it in turn: a session that ended its transaction and holds no objects is as
            # good as a new one, and making one (with two dozen repositories) cost more than
            # a short unit of work's statements.
            kept = connection.kept
            if not kept:
                kept["session"] = connection.sessions()
                run_on_driver(kept["session"], connection.driver)
                kept["repositories"] = _repositories(kept["session"])
            session = kept["session"]
            self.__dict__.update(kept["repositories"])
        self._session = session
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Rolls back whatever was not committed and returns the connection to the pool."""
        session, self._session = self._require(), None
        connection, self._connection = self._connection, None
        if connection is None or self._connections is None:
            try:
                await session.rollback()
            finally:
                await session.close()
            return
        usable = False
        if isinstance(connection.driver, PgConnection):
            connection.driver.next_alone = False  # unused: a session statement came first
        try:
            # A session that began nothing holds no connection: nothing to close.
            await self._end(session, connection.driver, commit=False)
            forget_touched(session)
            if session.sync_session.identity_map:
                session.expunge_all()  # nothing read here is the next unit of work's
            usable = True
        except Exception:
            if exc_info[1] is None:
                raise
            # What ended the unit of work (a cancellation, say) goes on; the connection goes.
            log.warning("rolling back after %r failed", exc_info[1], exc_info=True)
        finally:
            await self._connections.give_back(connection, usable=usable)

    def one_statement(self) -> None:
        """Declares that this unit of work runs one direct statement and then commits: on
        PostgreSQL it is sent outside a transaction, which the server commits as it runs (one
        round trip where BEGIN, the statement and COMMIT take three); `commit` then has
        nothing left to do, and nothing can roll it back. Elsewhere nothing changes."""
        connection = self._connection
        if connection is not None and isinstance(connection.driver, PgConnection):
            connection.driver.next_alone = True

    async def commit(self) -> None:
        session = self._require()
        forget_touched(session)
        if self._connection is None:
            await session.commit()
        else:
            await self._end(session, self._connection.driver, commit=True)

    async def rollback(self) -> None:
        session = self._require()
        forget_touched(session)
        if self._connection is None:
            await session.rollback()
        else:
            await self._end(session, self._connection.driver, commit=False)

    @staticmethod
    async def _end(session: AsyncSession, driver: Driver, *, commit: bool) -> None:
        """Ends the one transaction of a unit of work on a connection of its own, wherever it
        began: the session's commit or rollback ends it on the driver too, which then has
        nothing left to end unless only direct statements ran."""
        if session.in_transaction():
            await (session.commit() if commit else session.rollback())
        if driver.in_transaction:
            await (driver.commit() if commit else driver.rollback())

    def _require(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._session


def _repositories(session: AsyncSession) -> dict[str, object]:
    """The repositories of a unit of work on `session`, by the attribute names it has them."""
    return {
        "orders": SqlOrderRepository(session),
        "cases": SqlCaseRepository(session),
        "events": SqlEventRepository(session),
        "evidence": SqlEvidenceRepository(session),
        "ownership": SqlOwnershipAttemptRepository(session),
        "users": SqlUserRepository(session),
        "staff": SqlStaffRepository(session),
        "drafts": SqlDraftRepository(session),
        "merchants": SqlMerchantRepository(session),
        "outbox": SqlOutboxRepository(session),
        "case_queries": SqlCaseQueries(session),
        "risk": SqlRiskQueries(session),
        "personal_data": SqlPersonalDataRepository(session),
        "ratings": SqlRatingRepository(session),
        "fingerprints": SqlFingerprintRepository(session),
        "readings": SqlScreenReadingRepository(session),
        "jobs": SqlJobRepository(session),
        "updates": SqlProcessedUpdateRepository(session),
        "inbox": SqlInboxRepository(session),
        "retention": SqlRetentionRepository(session),
        "leases": SqlLeaseRepository(session),
        "loops": SqlLoopReports(session),
        "workers": SqlWorkerRegistry(session),
        "stats": SqlStatsQueries(session),
    }


def _conforms(uow: SqlUnitOfWork) -> UnitOfWork:
    # Never called: makes mypy prove that SqlUnitOfWork satisfies the domain's protocol.
    return uow
