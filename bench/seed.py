"""Bulk seeding of big SQLite databases for the deadline and memory benchmarks.

Rows go in through the sqlite3 module's executemany, in one transaction per table, into a file
migrated by the product's own migrations: the ORM one row at a time would take an hour for a
million cases. Seeded files are kept under bench/.cache (git-ignored) and copied per run.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.env import CACHE
from storage.migrate import revisions, upgrade

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
DUE_NOW = 1000  # pending jobs already due when the benchmark starts


def stamp(at: datetime) -> str:
    """How UtcDateTime stores an instant in SQLite: naive UTC text, microseconds included."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


async def seeded(cases: int, open_share: float, drafts: int = 0) -> Path:
    """A migrated SQLite file with `cases` cases (that share open), their jobs and orders."""
    head = revisions()[-1] if revisions() else "head"
    path = CACHE / f"cases-{cases}-open-{open_share}-drafts-{drafts}-{head}.db"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    await upgrade(f"sqlite+aiosqlite:///{partial}")
    db = sqlite3.connect(partial)
    try:
        # One self-contained file to copy: no WAL beside it while seeding.
        db.execute("PRAGMA journal_mode=DELETE")
        db.execute("PRAGMA synchronous=OFF")
        with db:
            _seed(db, cases, round(cases * open_share), drafts)
    finally:
        db.close()
    partial.rename(path)
    return path


def copy_of(source: Path, folder: Path) -> Path:
    target = folder / "bot.db"
    shutil.copyfile(source, target)
    return target


def _seed(db: sqlite3.Connection, cases: int, open_cases: int, drafts: int) -> None:
    db.executemany(
        "INSERT INTO orders (order_no, buyer_account, merchant_code, product, category, amount,"
        " currency, paid_at, delivered_at, status) VALUES (?, ?, 'M1001', 'Steam 充值卡 100元',"
        " 'game_card', 10000, 'CNY', ?, ?, 'delivered')",
        (
            (f"KM{n:012d}", f"buyer_{n}", stamp(_paid(n)), stamp(_paid(n) + timedelta(minutes=2)))
            for n in range(cases)
        ),
    )
    db.executemany(
        "INSERT INTO cases (case_no, order_no, buyer_id, status, reason, description,"
        " refund_amount, refund_method, currency, created_at, updated_at, review_due_at,"
        " next_deadline_at, open_order_no, merchant_code, order_amount, deadline_kind)"
        " VALUES (?, ?, ?, ?, 'not_delivered', '付款后一直没有收到充值卡。', 10000, 'original',"
        " 'CNY', ?, ?, ?, ?, ?, 'M1001', 10000, ?)",
        _case_rows(cases, open_cases),
    )
    db.executemany(
        "INSERT INTO jobs (kind, key, payload, due_at, attempts, done_at)"
        " VALUES (?, ?, ?, ?, 0, ?)",
        _job_rows(cases, open_cases),
    )
    if drafts:
        state = json.dumps({"flow": "filing", "step": "description", "order_no": "KM000000000001"})
        db.executemany(
            "INSERT INTO dialog_drafts (user_id, state, updated_at) VALUES (?, ?, ?)",
            ((9_000_000 + n, state, stamp(NOW)) for n in range(drafts)),
        )


def _paid(n: int) -> datetime:
    # Spread over the last two years, the newest (open) cases last.
    return NOW - timedelta(minutes=(10_000_000 - n) % 1_000_000)


def _case_no(n: int) -> str:
    return f"TS{_paid(n).strftime('%Y%m%d')}-{n:07d}"


def _case_rows(cases: int, open_cases: int) -> Iterator[tuple[object, ...]]:
    first_open = cases - open_cases
    for n in range(cases):
        created = _paid(n) + timedelta(hours=1)
        is_open = n >= first_open
        due = NOW + timedelta(minutes=n % 10_000) if is_open else None
        yield (
            _case_no(n),
            f"KM{n:012d}",
            1_000_000 + n,
            "in_review" if is_open else "refunded",
            stamp(created),
            stamp(created),
            stamp(due) if due else None,
            stamp(due) if due else None,
            f"KM{n:012d}" if is_open else None,
            "review" if is_open else None,
        )


def _job_rows(cases: int, open_cases: int) -> Iterator[tuple[object, ...]]:
    """Each case has a reminder and a deadline job: done for closed cases, pending for open ones,
    DUE_NOW of them due already (spread over the last hour), the rest later."""
    first_open = cases - open_cases
    for n in range(cases):
        payload = json.dumps(
            {
                "case_no": _case_no(n),
                "seq": 1,
                "status": "in_review",
                "deadline_kind": "review",
                "deadline_at": NOW.isoformat(),
                "hours": 24,
            }
        )
        if n < first_open:
            done = stamp(_paid(n) + timedelta(days=2))
            due = stamp(_paid(n) + timedelta(days=1))
            yield ("case_reminder", f"case:{_case_no(n)}:remind", payload, due, done)
            yield ("case_deadline", f"case:{_case_no(n)}:deadline", payload, due, done)
            continue
        index = n - first_open
        if index < DUE_NOW:
            due_at = NOW - timedelta(seconds=3600 * (DUE_NOW - index) / DUE_NOW)
        else:
            due_at = NOW + timedelta(minutes=1 + index % 10_000)
        yield ("case_reminder", f"case:{_case_no(n)}:remind", payload, stamp(due_at), None)
        deadline = stamp(due_at + timedelta(days=1))
        yield ("case_deadline", f"case:{_case_no(n)}:deadline", payload, deadline, None)
