"""`complaint-bot audit verify [--against FILE]` and `complaint-bot audit publish`."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.audit_heads import publish_heads, read_publications
from bot.cli import Console, _database
from bot.config import Settings
from cases.audit import Finding, audit_case, heads_root
from cases.clock import SystemClock
from cases.heads import HeadsFileError, Ledger, Publication, fold
from storage.audit import audited_cases, orphaned_case_numbers
from storage.db import make_engine, make_session_factory


async def verify(settings: Settings, console: Console, against: Path | None) -> int:
    """Checks every case; with `against`, every case and head published in that file too.

    Prints each problem found (not only the first) and exits 1 if there is any.
    """
    publications: list[Publication] = []
    if against is not None:
        read = await _read(console, against)
        if read is None:
            return 2
        publications = read
    ledger = Ledger.of(publications)
    engine = make_engine(settings.resolved_database_url)
    sessions = make_session_factory(engine)
    checked = events = unsealed = failures = 0
    seen: set[str] = set()
    try:
        async for record in audited_cases(sessions):
            case_no = record.case.case_no
            checked += 1
            events += len(record.events)
            seen.add(case_no)
            problem = audit_case(record)
            if problem is not None and problem.finding is Finding.UNSEALED:
                unsealed += 1
            elif problem is not None:
                failures += 1
                key = f"cli.audit_{problem.finding.value}"
                console.error(key, case_no=case_no, seq=problem.seq)
                continue
            rewritten = ledger.first_not_extended(case_no, record.events)
            if rewritten is not None:
                failures += 1
                console.error("cli.audit_rewritten", case_no=case_no, published_at=rewritten)
        for case_no in await orphaned_case_numbers(sessions):
            failures += 1
            console.error("cli.audit_orphaned", case_no=case_no)
    finally:
        await engine.dispose()
    for case_no in sorted(set(ledger.heads) - seen):
        failures += 1
        published_at = ledger.published_at(case_no)
        console.error("cli.audit_missing", case_no=case_no, published_at=published_at)
    if publications and heads_root(fold(publications)) != publications[-1].root:
        failures += 1
        console.error("cli.audit_heads_root", path=str(against))
    if unsealed:
        console.error("cli.audit_unsealed", cases=unsealed)
    if failures:
        console.error("cli.audit_failed", failures=failures, cases=checked)
        return 1
    console.say("cli.audit_ok", cases=checked, events=events)
    if publications:
        newest = publications[-1]
        console.say(
            "cli.audit_against_ok",
            path=str(against),
            publications=len(publications),
            published_at=newest.at,
            root=newest.root,
        )
    return 0


async def _read(console: Console, path: Path) -> list[Publication] | None:
    if not await asyncio.to_thread(path.is_file):
        console.error("cli.file_missing", path=str(path))
        return None
    try:
        return await asyncio.to_thread(read_publications, path)
    except HeadsFileError as exc:
        console.error("cli.audit_heads_bad", path=str(path), line=exc.line, reason=exc.reason)
        return None


async def publish(settings: Settings, console: Console) -> int:
    """Publishes the chain heads now, whether or not today has a publication already."""
    path = settings.resolved_audit_heads_file
    database = _database(settings)
    async with database as uow_factory:
        try:
            done = await publish_heads(
                uow_factory, database.sessions, settings, SystemClock().now(), daily=False
            )
        except HeadsFileError as exc:
            console.error("cli.audit_heads_bad", path=str(path), line=exc.line, reason=exc.reason)
            return 2
        except OSError as exc:
            console.error("cli.audit_heads_unwritable", path=str(path), reason=str(exc))
            return 1
    item = done.item
    console.say(
        "cli.audit_published",
        path=str(path),
        cases=item.cases,
        events=item.events,
        root=item.root,
        staff=done.queued,
    )
    return 0
