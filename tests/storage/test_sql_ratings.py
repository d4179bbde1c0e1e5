"""Case ratings: asked once, rated once, counted per complaint type, merchant and staff member."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from cases.model import CaseStatus, Reason
from cases.ratings import summarise, summarise_groups
from tests.storage.conftest import Database
from tests.storage.factories import T0, case, order

AGENT, ADMIN = 3001, 3003


async def _rated(db: Database, *ratings: tuple[str, Reason, str, int | None, int | None]) -> None:
    async with db.uow() as uow:
        for n, (case_no, reason, merchant, staff_id, score) in enumerate(ratings):
            order_no = f"KM{n}"
            await uow.orders.upsert(order(order_no, merchant_code=merchant))
            finished = case(
                case_no,
                order_no,
                reason=reason,
                merchant_code=merchant,
                status=CaseStatus.REFUNDED,
                created_at=T0 + timedelta(hours=n),
            )
            await uow.cases.add(finished)
            assert await uow.ratings.ask(case_no, staff_id, T0 + timedelta(hours=n))
            if score is not None:
                assert await uow.ratings.rate(case_no, score, T0 + timedelta(hours=n))
        await uow.commit()


async def test_a_case_is_asked_once_and_rated_once(db: Database) -> None:
    await _rated(db, ("TS1", Reason.CARD_INVALID, "M1", AGENT, None))
    async with db.uow() as uow:
        assert not await uow.ratings.ask("TS1", ADMIN, T0)
        assert not await uow.ratings.comment("TS1", "too early")  # not rated yet
        assert await uow.ratings.rate("TS1", 5, T0)
        assert not await uow.ratings.rate("TS1", 1, T0)
        assert await uow.ratings.comment("TS1", "<i>快</i>")
        assert not await uow.ratings.comment("TS1", "again")
        await uow.commit()
    async with db.uow() as uow:
        rating = await uow.ratings.get("TS1")
    assert rating is not None
    assert (rating.staff_id, rating.score, rating.comment) == (AGENT, 5, "<i>快</i>")


async def test_scores_are_counted_per_group_and_period(db: Database) -> None:
    await _rated(
        db,
        ("TS1", Reason.CARD_INVALID, "M1", AGENT, 5),
        ("TS2", Reason.CARD_INVALID, "M2", AGENT, 2),
        ("TS3", Reason.NOT_DELIVERED, "M1", ADMIN, 4),
        ("TS4", Reason.NOT_DELIVERED, "M1", None, None),  # asked, never answered: not counted
        ("TS5", Reason.FRAUD, "M2", ADMIN, 4),
    )
    async with db.uow() as uow:
        by_staff = summarise_groups(await uow.ratings.score_counts("staff", None, None))
        by_merchant = summarise_groups(await uow.ratings.score_counts("merchant", None, None))
        by_reason = summarise_groups(await uow.ratings.score_counts("reason", None, None))
        overall = summarise_groups(await uow.ratings.score_counts("all", None, None))
        later = await uow.ratings.score_counts(
            "all", T0 + timedelta(hours=1), T0 + timedelta(hours=3)
        )
        of_m2 = await uow.ratings.score_counts("reason", None, None, merchant_code="M2")
    assert by_staff[AGENT].count == 2
    assert by_staff[AGENT].average == Decimal("3.50")
    assert by_staff[ADMIN].distribution == {1: 0, 2: 0, 3: 0, 4: 2, 5: 0}
    assert by_merchant["M1"].average == Decimal("4.50")
    assert by_merchant["M2"].average == Decimal("3.00")
    assert by_reason["card_invalid"].count == 2
    assert set(by_reason) == {"card_invalid", "not_delivered", "fraud"}
    assert overall["all"].count == 4
    assert overall["all"].average == Decimal("3.75")
    assert summarise(pairs[1:] for pairs in later).count == 2  # filed in the period: TS2, TS3
    assert summarise_groups(of_m2).keys() == {"card_invalid", "fraud"}


def test_a_summary_without_ratings_has_no_average() -> None:
    empty = summarise([])
    assert (empty.count, empty.average) == (0, None)
    assert sum(empty.distribution.values()) == 0
    assert summarise([(3, 1), (4, 2)]).average == Decimal("3.67")  # 11 / 3, half up
