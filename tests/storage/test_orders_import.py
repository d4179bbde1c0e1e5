"""Importing the platform's order export."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cases.model import OrderStatus
from storage.orders_import import (
    CsvFormatError,
    ImportReport,
    import_orders_csv,
    parse_orders_csv,
)
from tests.storage.conftest import Database

HEADER = (
    "order_no,buyer_account,merchant_code,product,category,amount,currency,"
    "paid_at,delivered_at,status"
)
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
DEMO = Path(__file__).resolve().parents[2] / "demo" / "orders.csv"

GOOD = [
    "KM1,lihua_88,M1001,Steam 充值卡 100元,game_card,98.50,CNY,"
    "2026-11-19T22:03:17+08:00,2026-11-19T22:03:51+08:00,delivered",
    "KM2,chenjing99,M1004,话费充值 中国移动 100元,topup,99.6,cny,2026-11-20T14:20:11+08:00,,paid",
    '"KM3",zhouxin_77,M1006,"定制 代练, 钻石→星耀",custom,120,CNY,2026-11-15T05:40:00Z,,paid',
]


def _write(tmp_path: Path, *lines: str, header: str = HEADER) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


async def test_good_rows_are_imported_exactly(db: Database, tmp_path: Path) -> None:
    report = await import_orders_csv(db.uow, _write(tmp_path, *GOOD), NOW)
    assert report == ImportReport(inserted=3, updated=0, unchanged=0, errors=[])
    async with db.uow() as uow:
        km1, km2, km3 = [await uow.orders.get(no) for no in ("KM1", "KM2", "KM3")]
    assert km1 is not None
    assert km2 is not None
    assert km3 is not None
    assert km1.amount == 9850
    assert km1.paid_at == datetime(2026, 11, 19, 14, 3, 17, tzinfo=UTC)
    assert km2.amount == 9960
    assert km2.currency == "CNY"
    assert km2.delivered_at is None
    assert km2.status is OrderStatus.PAID
    assert km3.product == "定制 代练, 钻石→星耀"
    assert km3.is_custom


async def test_reimporting_the_same_file_changes_nothing(db: Database, tmp_path: Path) -> None:
    path = _write(tmp_path, *GOOD)
    await import_orders_csv(db.uow, path, NOW)
    again = await import_orders_csv(db.uow, path, NOW)
    assert again == ImportReport(inserted=0, updated=0, unchanged=3, errors=[])


async def test_a_changed_row_is_updated(db: Database, tmp_path: Path) -> None:
    await import_orders_csv(db.uow, _write(tmp_path, *GOOD), NOW)
    refunded = GOOD[0].replace("delivered", "refunded").replace(",refunded", ",refunded", 1)
    report = await import_orders_csv(db.uow, _write(tmp_path, refunded, GOOD[1]), NOW)
    assert report == ImportReport(inserted=0, updated=1, unchanged=1, errors=[])
    async with db.uow() as uow:
        km1 = await uow.orders.get("KM1")
    assert km1 is not None
    assert km1.status is OrderStatus.REFUNDED


async def test_bad_rows_are_reported_by_line_and_good_rows_still_import(
    db: Database, tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        GOOD[0],  # line 2
        "KM4,a,M1,p,c,-3.00,CNY,2026-11-19T22:03:17+08:00,,paid",  # 3: negative
        "KM5,a,M1,p,c,3.001,CNY,2026-11-19T22:03:17+08:00,,paid",  # 4: three decimals
        "KM6,a,M1,p,c,3.00,CNY,2026-11-19 22:03:17,,paid",  # 5: naive time
        "",  # 6: blank, skipped
        "KM7,a,M1,p,c,3.00,CNY,2026-11-19T22:03:17+08:00,,shipped",  # 7: bad status
        "KM8,a,M1,p,c,3.00,CNY,2026-11-19T22:03:17+08:00,,paid,extra",  # 8: extra field
        GOOD[1],  # 9
        GOOD[0],  # 10: the same order twice in one file
        "KM9,a,M1,p,c,abc,CNY,yesterday,2026-11-18T00:00:00+08:00,paid",  # 11: two problems
        ",a,M1,p,c,3.00,CNY,2026-11-19T22:03:17+08:00,2026-11-18T00:00:00+08:00,paid",  # 12
    )
    report = await import_orders_csv(db.uow, path, NOW)
    assert (report.inserted, report.updated, report.unchanged) == (2, 0, 0)
    assert [error.line for error in report.errors] == [3, 4, 5, 7, 8, 10, 11, 12]
    messages = {error.line: error.message for error in report.errors}
    assert "negative" in messages[3]
    assert "at most 2 decimals" in messages[4]
    assert "no UTC offset" in messages[5]
    assert "paid/delivered/refunded" in messages[7]
    assert "expected 10 fields, found 11" in messages[8]
    assert messages[10] == "order_no KM1 already on line 2"
    assert "amount 'abc'" in messages[11]
    assert "paid_at 'yesterday'" in messages[11]
    assert "order_no is empty" in messages[12]
    assert "delivered_at is before paid_at" in messages[12]
    async with db.uow() as uow:
        assert await uow.orders.get("KM2") is not None
        assert await uow.orders.get("KM4") is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (HEADER.replace("amount", "price"), "missing amount; unexpected 'price'"),
        (HEADER.replace("amount,currency", "currency,amount"), "wrong order"),
        (HEADER.removesuffix(",status"), "missing status"),
    ],
)
def test_a_wrong_header_names_what_is_wrong(tmp_path: Path, header: str, expected: str) -> None:
    with pytest.raises(CsvFormatError, match=expected):
        parse_orders_csv(_write(tmp_path, *GOOD, header=header).read_bytes())


def test_an_empty_file_or_other_encoding_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(CsvFormatError, match="empty"):
        parse_orders_csv(b"")
    with pytest.raises(CsvFormatError, match="UTF-8"):
        parse_orders_csv((HEADER + "\nKM1,李华").encode("gbk"))


def test_a_spreadsheet_bom_is_accepted() -> None:
    orders, errors = parse_orders_csv(("\ufeff" + HEADER + "\n" + GOOD[0]).encode())
    assert errors == []
    assert [line for line, _ in orders] == [2]


async def test_shift_to_now_moves_every_time_by_one_delta(db: Database, tmp_path: Path) -> None:
    report = await import_orders_csv(db.uow, _write(tmp_path, *GOOD), NOW, shift_to_now=True)
    assert report.errors == []
    async with db.uow() as uow:
        km1, km2, km3 = [await uow.orders.get(no) for no in ("KM1", "KM2", "KM3")]
    assert km1 is not None
    assert km2 is not None
    assert km3 is not None
    # KM2 was paid last in the file: it lands an hour before now; the others keep their spacing.
    assert km2.paid_at == NOW - timedelta(hours=1)
    assert km2.paid_at - km1.paid_at == timedelta(hours=16, minutes=16, seconds=54)
    assert km1.delivered_at is not None
    assert km1.delivered_at - km1.paid_at == timedelta(seconds=34)
    assert km2.paid_at - km3.paid_at == timedelta(days=5, hours=0, minutes=40, seconds=11)


async def test_the_demo_file_imports_without_errors(db: Database) -> None:
    report = await import_orders_csv(db.uow, DEMO, NOW, shift_to_now=True)
    assert report == ImportReport(inserted=12, updated=0, unchanged=0, errors=[])
    async with db.uow() as uow:
        found = [await uow.orders.get(no) for no in _demo_order_numbers()]
    orders = [order for order in found if order is not None]
    assert len(orders) == 12
    newest = max(order.paid_at for order in orders)
    assert newest == NOW - timedelta(hours=1)
    assert sum(1 for order in orders if order.is_custom) == 1
    assert sum(1 for order in orders if order.status is OrderStatus.REFUNDED) == 1
    # One order outside the 7-day complaint window, one card code past the 48 h window.
    assert any(newest - order.paid_at > timedelta(days=7) for order in orders)
    assert any(
        order.category == "card_code"
        and order.delivered_at is not None
        and timedelta(days=3) <= newest - order.delivered_at < timedelta(days=4)
        for order in orders
    )


def _demo_order_numbers() -> list[str]:
    lines = DEMO.read_text(encoding="utf-8").splitlines()[1:]
    return [line.split(",", 1)[0] for line in lines if line]


def test_a_card_code_column_after_the_header_is_read_and_optional_per_row() -> None:
    raw = "\n".join(
        [HEADER + ",card_code", GOOD[0] + ",X7Q2-O0P9-ZZ31", GOOD[1] + ","]
    ).encode()
    orders, errors = parse_orders_csv(raw)
    assert errors == []
    assert [order.card_code for _, order in orders] == ["X7Q2-O0P9-ZZ31", None]
    [(_, without)] = parse_orders_csv("\n".join([HEADER, GOOD[0]]).encode())[0]
    assert without.card_code is None


def test_a_card_code_column_anywhere_else_is_refused() -> None:
    with pytest.raises(CsvFormatError):
        parse_orders_csv(("card_code," + HEADER + "\nX," + GOOD[0]).encode())


async def test_the_redeem_time_column_is_optional_kept_and_may_follow_the_card_code(
    db: Database, tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        f"{GOOD[0]},2026-11-19T21:00:00+08:00",
        f"{GOOD[1]},",
        header=HEADER + ",code_redeemed_at",
    )
    both = HEADER + ",card_code,code_redeemed_at"
    assert parse_orders_csv(f"{both}\n{GOOD[0]},X7Q2,2026-11-19T21:00:00+08:00".encode())[1] == []

    report = await import_orders_csv(db.uow, path, NOW)

    assert report.errors == []
    async with db.uow() as uow:
        km1, km2 = await uow.orders.get("KM1"), await uow.orders.get("KM2")
    assert km1 is not None
    assert km2 is not None
    assert km1.code_redeemed_at == datetime(2026, 11, 19, 13, 0, tzinfo=UTC)
    assert km2.code_redeemed_at is None


def test_a_bad_redeem_time_is_reported_on_its_line() -> None:
    raw = "\n".join([HEADER + ",code_redeemed_at", f"{GOOD[0]},yesterday"]).encode()

    orders, errors = parse_orders_csv(raw)

    assert orders == []
    assert [(error.line, "code_redeemed_at" in error.message) for error in errors] == [(2, True)]
