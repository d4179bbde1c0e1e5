"""Merchants and their one-time binding tokens, staff membership, and the outbox."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from cases.model import CaseStatus, Merchant, MerchantLegal, StaffMember
from cases.ports import MerchantAccount
from storage.models import MerchantRow, OutboxRow
from tests.storage.conftest import Database, postgres_only
from tests.storage.factories import T0, case, order

TOKEN = "a" * 64  # the repositories only ever see a token's SHA-256 hex digest
OTHER_TOKEN = "b" * 64
USER = 8_000_000_001
OTHER_USER = 8_000_000_002


async def _merchant_with_token(db: Database, code: str = "M1001", token: str = TOKEN) -> None:
    async with db.uow() as uow:
        await uow.merchants.upsert(code, "星辰卡铺", T0)
        await uow.merchants.set_bind_token(code, token, T0)
        await uow.commit()


async def test_a_merchant_is_added_and_renamed_keeping_its_binding(db: Database) -> None:
    await _merchant_with_token(db)
    async with db.uow() as uow:
        assert await uow.merchants.get("M1001") == Merchant("M1001", "星辰卡铺")
        await uow.merchants.bind(TOKEN, USER, T0 + timedelta(minutes=1))
        renamed = await uow.merchants.upsert("M1001", "星辰卡铺 2 店", T0 + timedelta(days=1))
        await uow.commit()
    assert renamed == Merchant("M1001", "星辰卡铺 2 店", USER)
    async with db.uow() as uow:
        assert await uow.merchants.get("M1001") == renamed
        assert await uow.merchants.get("M404") is None


async def test_the_list_shows_each_binding_its_unused_link_and_its_open_cases(
    db: Database,
) -> None:
    await _merchant_with_token(db)
    await _merchant_with_token(db, "M2002", OTHER_TOKEN)
    async with db.uow() as uow:
        await uow.merchants.bind(OTHER_TOKEN, USER, T0)
        for order_no in ("KM1", "KM2", "KM3"):
            await uow.orders.upsert(order(order_no))
        await uow.cases.add(case("TS1", "KM1", merchant_code="M1001"))
        await uow.cases.add(case("TS2", "KM2", merchant_code="M1001"))
        await uow.cases.add(case("TS3", "KM3", merchant_code="M2002"))
        closed = case("TS1", "KM1", merchant_code="M1001", status=CaseStatus.WITHDRAWN)
        await uow.cases.update(closed)
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.merchants.list() == [
            MerchantAccount(Merchant("M1001", "星辰卡铺"), link_pending=True, open_cases=1),
            MerchantAccount(Merchant("M2002", "星辰卡铺", USER), link_pending=False, open_cases=1),
        ]


async def test_unbinding_frees_the_account_and_voids_an_unused_link(db: Database) -> None:
    await _merchant_with_token(db)
    async with db.uow() as uow:
        await uow.merchants.bind(TOKEN, USER, T0)
        await uow.merchants.set_bind_token("M1001", OTHER_TOKEN, T0)  # a second link, unused
        assert await uow.merchants.unbind("M1001") == Merchant("M1001", "星辰卡铺", USER)
        assert await uow.merchants.unbind("M404") is None
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.merchants.by_user(USER) is None
        assert await uow.merchants.get("M1001") == Merchant("M1001", "星辰卡铺")
        assert await uow.merchants.bind(OTHER_TOKEN, OTHER_USER, T0) is None


async def test_a_binding_token_binds_its_merchant_once(db: Database) -> None:
    await _merchant_with_token(db)
    async with db.uow() as uow:
        assert await uow.merchants.by_user(USER) is None
        bound = await uow.merchants.bind(TOKEN, USER, T0 + timedelta(minutes=1))
        await uow.commit()
    assert bound == Merchant("M1001", "星辰卡铺", USER)
    async with db.uow() as uow:
        assert await uow.merchants.by_user(USER) == bound
        # Spent: the same token binds nobody else, and does not unbind the first user.
        assert await uow.merchants.bind(TOKEN, OTHER_USER, T0 + timedelta(minutes=2)) is None
        assert await uow.merchants.bind("c" * 64, OTHER_USER, T0) is None
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.merchants.by_user(OTHER_USER) is None
        assert await uow.merchants.get("M1001") == bound
    async with db.engine.connect() as connection:
        row = (await connection.execute(select(MerchantRow.__table__))).one()
    assert row.bind_token_hash is None
    assert (row.bind_token_issued_at, row.bound_at) == (T0, T0 + timedelta(minutes=1))


async def test_a_new_token_replaces_the_old_one_and_moves_the_merchant_to_a_new_account(
    db: Database,
) -> None:
    await _merchant_with_token(db)
    async with db.uow() as uow:
        await uow.merchants.bind(TOKEN, USER, T0)
        await uow.merchants.set_bind_token("M1001", OTHER_TOKEN, T0 + timedelta(days=1))
        await uow.merchants.set_bind_token("M1001", "c" * 64, T0 + timedelta(days=1))
        # Issuing a token does not unbind: the old account answers until the new one binds.
        assert await uow.merchants.by_user(USER) is not None
        assert await uow.merchants.bind(OTHER_TOKEN, OTHER_USER, T0) is None
        moved = await uow.merchants.bind("c" * 64, OTHER_USER, T0 + timedelta(days=1))
        await uow.commit()
    assert moved == Merchant("M1001", "星辰卡铺", OTHER_USER)
    async with db.uow() as uow:
        assert await uow.merchants.by_user(USER) is None


async def test_a_user_bound_to_another_merchant_is_refused_and_the_token_stays_usable(
    db: Database,
) -> None:
    await _merchant_with_token(db, "M1001", TOKEN)
    await _merchant_with_token(db, "M2002", OTHER_TOKEN)
    async with db.uow() as uow:
        first = await uow.merchants.bind(TOKEN, USER, T0)
        assert await uow.merchants.bind(OTHER_TOKEN, USER, T0) is None
        # The refusal left the transaction usable; the first binding commits.
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.merchants.by_user(USER) == first
        assert (await uow.merchants.get("M2002")) == Merchant("M2002", "星辰卡铺")
        # The right account can still use M2002's token.
        taken = await uow.merchants.bind(OTHER_TOKEN, OTHER_USER, T0)
    assert taken == Merchant("M2002", "星辰卡铺", OTHER_USER)


async def test_a_user_already_bound_to_the_merchant_may_use_a_new_token_again(
    db: Database,
) -> None:
    await _merchant_with_token(db)
    async with db.uow() as uow:
        await uow.merchants.bind(TOKEN, USER, T0)
        await uow.merchants.set_bind_token("M1001", OTHER_TOKEN, T0)
        again = await uow.merchants.bind(OTHER_TOKEN, USER, T0)
    assert again == Merchant("M1001", "星辰卡铺", USER)


async def test_a_token_for_an_unknown_merchant_raises_lookup_error(db: Database) -> None:
    async with db.uow() as uow:
        with pytest.raises(LookupError):
            await uow.merchants.set_bind_token("M404", TOKEN, T0)


@postgres_only
async def test_two_accounts_racing_for_one_token_on_postgres_bind_it_once(
    db: Database,
) -> None:
    await _merchant_with_token(db)
    async with db.uow() as first, db.uow() as second:
        assert await first.merchants.bind(TOKEN, USER, T0) is not None
        # `first` holds the row lock; `second` waits for it, then finds the token spent.
        racing = asyncio.create_task(second.merchants.bind(TOKEN, OTHER_USER, T0))
        await asyncio.sleep(0.2)
        assert not racing.done()
        await first.commit()
        assert await asyncio.wait_for(racing, 5) is None
    async with db.uow() as uow:
        assert (await uow.merchants.get("M1001")) == Merchant("M1001", "星辰卡铺", USER)


async def test_staff_are_listed_by_user_id_and_removed(db: Database) -> None:
    async with db.uow() as uow:
        assert await uow.staff.list() == []
        await uow.staff.set_role(8_000_000_003, "admin", T0)
        await uow.staff.set_role(12, "agent", T0)
        await uow.staff.set_role(11, "arbitrator", T0)
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.staff.list() == [
            StaffMember(11, "arbitrator"),
            StaffMember(12, "agent"),
            StaffMember(8_000_000_003, "admin"),
        ]
        assert await uow.staff.remove(12) is True
        assert await uow.staff.remove(12) is False
        assert await uow.staff.remove(99) is False
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.staff.role_of(12) is None
        assert [member.user_id for member in await uow.staff.list()] == [11, 8_000_000_003]


async def _outbox(db: Database) -> list[tuple[int, dict[str, object], str | None]]:
    """The queued messages as (chat, payload, key), read from the table itself."""
    stmt = select(OutboxRow.chat_id, OutboxRow.payload, OutboxRow.key).order_by(OutboxRow.id)
    async with db.engine.connect() as connection:
        return [(row.chat_id, row.payload, row.key) for row in await connection.execute(stmt)]


async def test_an_outbox_message_with_a_known_key_is_queued_once(db: Database) -> None:
    notice = {"locale": "zh_CN", "key": "case.status_changed", "params": {"case_no": "TS1"}}
    async with db.uow() as uow:
        await uow.outbox.add(USER, notice, T0, key="status:TS1:3:buyer")
        await uow.outbox.add(USER, {**notice, "params": {}}, T0, key="status:TS1:3:buyer")
        await uow.outbox.add(USER, notice, T0)
        await uow.outbox.add(USER, notice, T0)
        await uow.commit()
    async with db.uow() as uow:
        # Also across transactions, as when a handler is retried after a crash.
        await uow.outbox.add(USER, notice, T0 + timedelta(hours=1), key="status:TS1:3:buyer")
        await uow.outbox.add(-1_001_234_567_890, notice, T0, key="status:TS1:3:staff")
        await uow.commit()
    assert await _outbox(db) == [
        (USER, notice, "status:TS1:3:buyer"),
        (USER, notice, None),
        (USER, notice, None),
        (-1_001_234_567_890, notice, "status:TS1:3:staff"),
    ]


async def test_an_outbox_message_of_a_rolled_back_change_is_never_queued(db: Database) -> None:
    async with db.uow() as uow:
        await uow.outbox.add(USER, {"key": "x"}, T0, key="k")
        # no commit: the state change failed
    assert await _outbox(db) == []
    async with db.uow() as uow:
        await uow.outbox.add(USER, {"key": "x"}, T0, key="k")
        await uow.commit()
    assert await _outbox(db) == [(USER, {"key": "x"}, "k")]


async def test_legal_details_are_kept_beside_the_merchant_and_replaced_whole(
    db: Database,
) -> None:
    first = MerchantLegal("星辰网络科技有限公司", "深圳市南山区科技园 1 号", "91440300708461136T")
    second = MerchantLegal("星辰网络科技（深圳）有限公司", "福田区 2 号", "914403001922038216")
    await _merchant_with_token(db)
    async with db.uow() as uow:
        assert await uow.merchants.legal("M1001") is None
        await uow.merchants.set_legal("M1001", first)
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.merchants.legal("M1001") == first
        await uow.merchants.set_legal("M1001", second)
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.merchants.legal("M1001") == second
        assert await uow.merchants.get("M1001") == Merchant("M1001", "星辰卡铺")
        with pytest.raises(LookupError):
            await uow.merchants.set_legal("M404", first)
