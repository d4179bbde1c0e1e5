"""/export through the real bot: the file is built by its job, uploaded through the outbox."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from bot.exports import ExportWorker
from cases import export
from cases.model import CaseStatus
from sandbox.botapi import FakeBotAPI
from tests.bot.harness import BotHarness, Person, bot_harness
from tests.bot.test_filing_through_dispatcher import NOW, order
from tests.bot.test_merchant_through_dispatcher import deliver_notices
from tests.storage.factories import case

STAFF_CHAT = -100777
ADMIN, AGENT, OUTSIDER = 950, 951, 952
BUYER_ID = 7_000_000_001


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI):  # type: ignore[no-untyped-def]
    async with bot_harness(tmp_path, fake_api, NOW, staff_chat_id=STAFF_CHAT) as running:
        async with running.deps.uow() as uow:
            await uow.staff.set_role(ADMIN, "admin", NOW)
            await uow.staff.set_role(AGENT, "agent", NOW)
            for n, (status, merchant, order_no) in enumerate(
                [
                    (CaseStatus.CLOSED, "M1003", "KM1"),
                    (CaseStatus.REFUNDED, "M1003", "=HYPERLINK(\"http://x\")"),
                    (CaseStatus.CLOSED, "M2002", "KM3"),
                ]
            ):
                await uow.orders.upsert(order(order_no, merchant_code=merchant))
                filed = case(
                    f"TS2026112{n}-AAAA{n}", order_no, status=status, merchant_code=merchant,
                    created_at=NOW - timedelta(days=n), approved_amount=12345,
                )
                await uow.cases.add(filed)
            old = case("TS20260101-OLD00", "KM1", status=CaseStatus.CLOSED,
                       merchant_code="M1003", created_at=NOW - timedelta(days=90))
            await uow.cases.add(replace(old))
            await uow.commit()
        yield running


def in_group(harness: BotHarness, user_id: int) -> Person:
    fake = harness.api.user(id=user_id, first_name=f"u{user_id}", language_code="zh-hans")
    return Person(harness, fake.in_chat(STAFF_CHAT, "supergroup", title="客服群"))


async def run_export(harness: BotHarness) -> list[Any]:
    """The export job runs, then the outbox delivers; returns the documents sent."""
    assert await ExportWorker(harness.deps, "test").run_once() == 1
    await deliver_notices(harness)
    return harness.api.calls("sendDocument")


def xlsx_rows(call: Any) -> list[list[Any]]:
    (upload,) = call.uploads.values()
    book = openpyxl.load_workbook(io.BytesIO(upload.content))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


async def test_an_admin_gets_the_filtered_cases_as_xlsx_with_exact_amounts(
    harness: BotHarness,
) -> None:
    admin = in_group(harness, ADMIN)
    await admin.send("/export 30d status=closed,refunded merchant=M1003 xlsx")
    assert "正在生成XLSX文件" in admin.last_text()
    (sent,) = await run_export(harness)
    rows = xlsx_rows(sent)
    assert rows[0] == list(export.COLUMNS)
    by_case = {row[0]: row for row in rows[1:]}
    assert set(by_case) == {"TS20261120-AAAA0", "TS20261121-AAAA1"}  # not M2002, not 90 days ago
    first = by_case["TS20261120-AAAA0"]
    assert first[3] == str(BUYER_ID)  # an admin sees the buyer's id
    assert first[export.COLUMNS.index("approved_amount")] == 123.45
    assert first[export.COLUMNS.index("order_amount")] == 0
    # Formula-like text is text, with the apostrophe that keeps it from running.
    assert by_case["TS20261121-AAAA1"][1] == "'=HYPERLINK(\"http://x\")"
    assert "共 2 件" in sent.params["caption"]
    # Sent and recorded: the copy under DATA_DIR is gone.
    exports_dir = harness.deps.settings.data_dir / "exports"
    assert list(exports_dir.iterdir()) == []


async def test_an_agent_gets_csv_with_buyer_ids_masked(harness: BotHarness) -> None:
    agent = in_group(harness, AGENT)
    await agent.send("/export csv")
    assert "买家 ID 已脱敏" in agent.last_text()
    (sent,) = await run_export(harness)
    (upload,) = sent.uploads.values()
    lines = list(csv.reader(io.StringIO(upload.content.decode())))
    assert lines[0] == list(export.COLUMNS)
    assert len(lines) == 5
    assert {line[3] for line in lines[1:]} == {"70******01"}
    assert str(BUYER_ID) not in upload.content.decode()
    assert "'=HYPERLINK" in upload.content.decode()
    assert any(line[export.COLUMNS.index("approved_amount")] == "123.45" for line in lines)


async def test_a_bad_argument_gets_the_syntax_and_nothing_is_built(harness: BotHarness) -> None:
    admin = in_group(harness, ADMIN)
    await admin.send("/export 30d state=closed")
    assert "看不懂参数「state=closed」" in admin.last_text()
    assert "/export 30d status=closed merchant=M1003 xlsx" in admin.last_text()
    await admin.send("/export 2026-13")
    assert "2026-13" in admin.last_text()
    assert await ExportWorker(harness.deps, "test").run_once() == 0


async def test_only_staff_in_the_staff_chat_may_export(harness: BotHarness) -> None:
    outsider = in_group(harness, OUTSIDER)
    await outsider.send("/export")
    assert "工作人员" in outsider.last_text()
    private = harness.user(ADMIN)
    await private.send("/export")
    assert "只能在客服群中使用" in private.last_text()
    assert await ExportWorker(harness.deps, "test").run_once() == 0


async def test_a_role_taken_away_before_the_file_is_built_gets_nothing(
    harness: BotHarness,
) -> None:
    agent = in_group(harness, AGENT)
    await agent.send("/export")
    async with harness.deps.uow() as uow:
        await uow.staff.remove(AGENT)
        await uow.commit()
    assert await run_export(harness) == []
    assert "已不再是客服团队成员" in agent.last_text()


async def test_an_export_over_the_upload_bound_is_cut_short_and_says_so(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "CHAT_EXPORT_MAX_BYTES", 600)  # the header and about two cases
    admin = in_group(harness, ADMIN)
    await admin.send("/export xlsx")
    (sent,) = await run_export(harness)
    rows = xlsx_rows(sent)
    assert 1 < len(rows) < 5
    assert "文件已截断" in sent.params["caption"]
    assert f"共 {len(rows) - 1} 件" in sent.params["caption"]


async def test_the_file_is_on_disk_before_its_row_is_queued_and_survives_a_restart(
    harness: BotHarness,
) -> None:
    admin = in_group(harness, ADMIN)
    await admin.send("/export csv")
    assert await ExportWorker(harness.deps, "test").run_once() == 1
    # As if the process died here: the row is queued, its file is under DATA_DIR.
    files = list((harness.deps.settings.data_dir / "exports").iterdir())
    assert [path.suffix for path in files] == [".csv"]
    await deliver_notices(harness)  # a new sender, as after a restart
    (sent,) = harness.api.calls("sendDocument")
    assert sent.uploads
    assert not files[0].exists()


async def test_a_queued_upload_whose_file_went_missing_fails_without_stopping_the_chat(
    harness: BotHarness,
) -> None:
    admin = in_group(harness, ADMIN)
    await admin.send("/export csv")
    assert await ExportWorker(harness.deps, "test").run_once() == 1
    for path in (harness.deps.settings.data_dir / "exports").iterdir():
        path.unlink()
    await admin.send("/staffhelp")
    await deliver_notices(harness)
    assert harness.api.calls("sendDocument") == []
    assert "/export" in admin.last_text()  # the chat's next message still went out
