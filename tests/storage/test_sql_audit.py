"""`audit verify` against tampering with the rows, the newest event, whole cases and chains.

Each case is written by the bot's own paths (cases/history.py, the evidence repository, the
erasure), then tampered with in SQL the way someone with database access would.
"""

# S608: the tampering statements are built from this file's own constants, as a shell user would.
# ruff: noqa: S608

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.audit_heads import publish_heads
from bot.cli import Console
from bot.cli_audit import verify
from bot.config import Settings
from cases.audit import EVIDENCE_STORED, GENESIS_HASH, Head, chain
from cases.erasure import erase_personal_data
from cases.evidence import record_evidence
from cases.heads import fold, parse_lines, publication, to_line
from cases.history import record, seal
from cases.model import ActorKind, CaseEvent, CaseStatus
from cases.ports import HistoryConflictError
from storage.audit import ordered_heads
from storage.db import make_engine
from tests.storage.conftest import Database
from tests.storage.factories import T0, case, evidence_file, order

CASE = "TS20261120-AAAAA"
OTHER = "TS20261120-BBBBB"
SHA = "5" * 64


def settings(db: Database, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=db.url,
        data_dir=tmp_path,
        default_locale="en",
        staff_chat_id=-100123,
        audit_heads_file=tmp_path / "heads.jsonl",
    )


async def run_verify(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str], *, against: bool = False
) -> tuple[int, str]:
    """Runs `complaint-bot audit verify [--against heads.jsonl]`; returns its code and stderr."""
    config = settings(db, tmp_path)
    capsys.readouterr()
    code = await verify(config, Console(config), config.audit_heads_file if against else None)
    return code, capsys.readouterr().err


async def publish(db: Database, tmp_path: Path, days: int = 0) -> None:
    config = settings(db, tmp_path)
    await publish_heads(db.uow, db.sessions, config, T0 + timedelta(days=days), daily=True)


async def file_case(db: Database, case_no: str = CASE, order_no: str = "KM1") -> None:
    """Files a case with one screenshot, downloads it, takes the case into review."""
    filed = case(case_no, order_no, audit_salt="a1" * 16)
    async with db.uow() as uow:
        await uow.orders.upsert(order(order_no))
        await uow.cases.add(filed)
        [evidence_id] = await record_evidence(uow, case_no, [evidence_file()], T0)
        submit = CaseEvent(
            case_no, 0, T0, ActorKind.BUYER, filed.buyer_id, "submit", None, filed.status
        )
        await record(uow, filed, submit)
        await uow.commit()
    async with db.uow() as uow:
        await uow.evidence.mark_stored(evidence_id, SHA, f"evidence/55/{SHA}")
        await seal(uow, case_no, T0, EVIDENCE_STORED, {"evidence_id": str(evidence_id)})
        await uow.commit()
    taken = replace(filed, status=CaseStatus.IN_REVIEW, updated_at=T0 + timedelta(hours=2))
    async with db.uow() as uow:
        move = CaseEvent(
            case_no, 0, taken.updated_at, ActorKind.AGENT, 42, "take", filed.status, taken.status
        )
        await record(uow, taken, move)
        await uow.cases.update(taken)
        await uow.commit()


async def tamper(db: Database, *statements: str) -> None:
    """Runs the statements as a person at the database's own shell would: no foreign keys."""
    if db.backend == "sqlite":
        # The sqlite3 shell's default; the PRAGMA only takes outside a transaction.
        connection = sqlite3.connect(make_url(db.url).database or "")
        try:
            connection.execute("PRAGMA foreign_keys = OFF")
            for statement in statements:
                connection.execute(statement)
            connection.commit()
        finally:
            connection.close()
        return
    engine = make_engine(db.url)
    try:
        async with engine.begin() as conn:
            # What a superuser can do: foreign keys are triggers, and these skip them.
            await conn.exec_driver_sql("SET session_replication_role = replica")
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


async def test_a_filed_downloaded_and_moved_case_verifies(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await file_case(db)
    assert await run_verify(db, tmp_path, capsys) == (0, "")


async def test_a_deleted_newest_event_is_found_and_the_case_named(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await file_case(db)
    await file_case(db, OTHER, "KM2")
    await tamper(db, f"DELETE FROM case_events WHERE case_no = '{CASE}' AND seq = 3")
    code, err = await run_verify(db, tmp_path, capsys)
    assert code == 1
    assert f"case {CASE} ends at event 2" in err
    assert OTHER not in err


async def test_a_deleted_newest_event_with_the_head_rewound_is_still_found(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await file_case(db)
    async with db.uow() as uow:
        [_, stored, _] = await uow.events.list(CASE)
    await tamper(
        db,
        f"DELETE FROM case_events WHERE case_no = '{CASE}' AND seq = 3",
        f"UPDATE cases SET event_count = 2, head_hash = '{stored.hash}' WHERE case_no = '{CASE}'",
    )
    code, err = await run_verify(db, tmp_path, capsys)
    assert code == 1
    # The row still says "in review", which the download's seal did not.
    assert f"case {CASE} differ from what event 2 sealed" in err


@pytest.mark.parametrize(
    "edit",
    [
        "UPDATE cases SET refund_amount = 1",
        "UPDATE cases SET description = 'nothing wrong'",
        "UPDATE cases SET status = 'refunded', open_order_no = NULL",
        "UPDATE cases SET approved_amount = 6000",
        f"UPDATE evidence SET sha256 = '{'6' * 64}'",
        "UPDATE evidence SET file_id = 'AgACAgUAAxkBAAIforged'",
        "UPDATE evidence SET status = 'removed'",
    ],
)
async def test_an_edited_case_or_evidence_row_is_found(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: str
) -> None:
    await file_case(db)
    await tamper(db, edit)
    code, err = await run_verify(db, tmp_path, capsys)
    assert code == 1
    assert f"case {CASE} differ from what event 3 sealed" in err


async def test_a_removed_evidence_row_is_found(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await file_case(db)
    await tamper(db, "DELETE FROM evidence")
    code, err = await run_verify(db, tmp_path, capsys)
    assert code == 1
    assert CASE in err


async def test_removing_personal_data_still_verifies(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await file_case(db)
    async with db.uow() as uow:
        filed = await uow.cases.get(CASE)
        assert filed is not None
        withdrawn = replace(filed, status=CaseStatus.WITHDRAWN, updated_at=T0 + timedelta(hours=3))
        move = CaseEvent(
            CASE, 0, withdrawn.updated_at, ActorKind.BUYER, filed.buyer_id, "withdraw",
            filed.status, withdrawn.status,
        )
        await record(uow, withdrawn, move)
        await uow.cases.update(withdrawn)
        await uow.commit()
    async with db.uow() as uow:
        result = await erase_personal_data(uow, T0 + timedelta(days=1), filed.buyer_id, T0)
        await uow.commit()
    assert result.anonymised == (CASE,)
    async with db.uow() as uow:
        erased = await uow.cases.get(CASE)
    assert erased is not None
    assert erased.description == ""
    assert erased.audit_salt != filed.audit_salt
    assert await run_verify(db, tmp_path, capsys) == (0, "")


async def test_a_case_deleted_with_its_rows_is_found_against_the_published_heads(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await file_case(db)
    await file_case(db, OTHER, "KM2")
    await publish(db, tmp_path)
    await tamper(
        db,
        f"DELETE FROM evidence WHERE case_no = '{CASE}'",
        f"DELETE FROM case_events WHERE case_no = '{CASE}'",
        f"DELETE FROM cases WHERE case_no = '{CASE}'",
    )
    # The database alone is consistent again ...
    assert (await run_verify(db, tmp_path, capsys))[0] == 0
    # ... but the case was published.
    code, err = await run_verify(db, tmp_path, capsys, against=True)
    assert code == 1
    assert f"case {CASE}, published at" in err
    assert "no longer in the database" in err


async def test_a_case_row_deleted_without_its_history_is_found_in_the_database_alone(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await file_case(db)
    await tamper(db, f"DELETE FROM cases WHERE case_no = '{CASE}'")
    code, err = await run_verify(db, tmp_path, capsys)
    assert code == 1
    assert f"events or evidence of case {CASE}, but the case itself is gone" in err


async def forge_whole_chain(db: Database, case_no: str) -> None:
    """Rewrites the first event's note and re-chains every event after it, head included."""
    async with db.uow() as uow:
        events = list(await uow.events.list(case_no))
    forged: list[CaseEvent] = []
    for index, item in enumerate(events):
        changed = replace(item, note="forged") if index == 0 else item
        forged.append(chain(forged[-1] if forged else None, changed))
    statements = [
        f"UPDATE case_events SET note = '{item.note}', prev_hash = '{item.prev_hash}',"
        f" hash = '{item.hash}' WHERE case_no = '{case_no}' AND seq = {item.seq}"
        for item in forged
    ]
    head = forged[-1].hash
    statements.append(f"UPDATE cases SET head_hash = '{head}' WHERE case_no = '{case_no}'")
    await tamper(db, *statements)


async def test_a_rewritten_whole_chain_is_found_only_against_the_published_heads(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await file_case(db)
    await publish(db, tmp_path)
    await forge_whole_chain(db, CASE)
    assert (await run_verify(db, tmp_path, capsys))[0] == 0
    code, err = await run_verify(db, tmp_path, capsys, against=True)
    assert code == 1
    assert f"case {CASE} no longer contains the head published at" in err


async def test_a_chain_grown_since_the_publication_still_verifies_against_it(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await file_case(db)
    await publish(db, tmp_path)
    await file_case(db, OTHER, "KM2")  # a new case, and new events of the published one
    async with db.uow() as uow:
        await seal(uow, CASE, T0 + timedelta(hours=5), "audit_sealed", {})
        await uow.commit()
    assert await run_verify(db, tmp_path, capsys, against=True) == (0, "")


async def test_one_publication_a_day_with_only_the_heads_that_moved(
    db: Database, tmp_path: Path
) -> None:
    await file_case(db)
    await file_case(db, OTHER, "KM2")
    await publish(db, tmp_path)
    await publish(db, tmp_path)  # the same day: nothing new
    async with db.uow() as uow:
        await seal(uow, CASE, T0 + timedelta(hours=5), "audit_sealed", {})
        await uow.commit()
    await publish(db, tmp_path, days=1)
    lines = [json.loads(line) for line in (tmp_path / "heads.jsonl").read_text().splitlines()]
    assert [sorted(line["heads"]) for line in lines] == [[CASE, OTHER], [CASE]]
    assert lines[1]["heads"][CASE][0] == 4
    assert [line["cases"] for line in lines] == [2, 2]
    async with db.sessions() as session:
        rows = (await session.execute(text("SELECT key, payload FROM outbox"))).all()
    assert sorted(row.key for row in rows) == ["audit-heads:2026-11-20", "audit-heads:2026-11-21"]


async def _all_heads(db: Database) -> dict[str, Head]:
    return {no: head async for batch in ordered_heads(db.sessions) for no, head in batch}


async def test_each_line_is_the_one_the_heads_held_in_memory_would_make(
    db: Database, tmp_path: Path
) -> None:
    """The publication reads the heads in batches and folds the file in a scratch database;
    its lines must be exactly those of the publication of all heads at once."""
    heads_file = tmp_path / "heads.jsonl"
    numbers = [f"TS20261120-{n:05d}" for n in range(7)]
    for n, case_no in enumerate(numbers[:5]):
        await file_case(db, case_no, f"KM{n}")
    tz = settings(db, tmp_path).tz
    expected = []
    for day in range(3):
        written = heads_file.read_text() if heads_file.exists() else ""
        published = fold(parse_lines(written.splitlines(keepends=True)))
        at = T0 + timedelta(days=day)
        want = publication(at, at.astimezone(tz).date(), await _all_heads(db), published)
        expected.append(to_line(want))
        await publish(db, tmp_path, days=day)
        assert heads_file.read_text() == "".join(expected)
        if day < 2:  # between publications one case moves and a new one is filed
            async with db.uow() as uow:
                await seal(uow, numbers[day], at + timedelta(hours=1), "audit_sealed", {})
                await uow.commit()
            await file_case(db, numbers[5 + day], f"KM{5 + day}")
    lines = parse_lines(heads_file.read_text().splitlines(keepends=True))
    assert [len(line.heads) for line in lines] == [5, 2, 2]


async def test_an_edited_heads_file_no_longer_adds_up_to_its_root(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await file_case(db)
    await publish(db, tmp_path)
    heads = tmp_path / "heads.jsonl"
    line = json.loads(heads.read_text())
    line["heads"][CASE][0] = 1  # hide the events after the first
    heads.write_text(json.dumps(line) + "\n")
    code, err = await run_verify(db, tmp_path, capsys, against=True)
    assert code == 1
    assert "do not add up to the root digest" in err


async def test_a_case_filed_before_sealing_is_sealed_by_the_first_publication(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    legacy = case(CASE, "KM1")
    async with db.uow() as uow:
        await uow.orders.upsert(order("KM1"))
        await uow.cases.add(legacy)
        first = CaseEvent(CASE, 0, T0, ActorKind.BUYER, 1, "submit", None, legacy.status)
        await uow.events.append(chain(None, first))
        await uow.commit()
    code, err = await run_verify(db, tmp_path, capsys)
    assert code == 0
    assert "1 cases were filed before their records were sealed" in err
    await publish(db, tmp_path)
    assert await run_verify(db, tmp_path, capsys) == (0, "")
    await tamper(db, "UPDATE cases SET refund_amount = 1")
    assert (await run_verify(db, tmp_path, capsys))[0] == 1


async def test_an_event_appended_after_another_writer_is_refused(db: Database) -> None:
    await file_case(db)
    stale = CaseEvent(CASE, 3, T0, ActorKind.SYSTEM, None, "x", None, CaseStatus.IN_REVIEW)
    async with db.uow() as uow:
        with pytest.raises(HistoryConflictError):
            await uow.events.append(replace(stale, prev_hash=GENESIS_HASH, hash="f" * 64))
