"""`complaint-bot` (also `python -m bot`): run the bot and the operator's commands."""

from __future__ import annotations

import argparse
import asyncio
import html
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.config import Settings
from cases.clock import SystemClock
from locales import Translator

STAFF_ROLES = ("agent", "arbitrator", "admin")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="complaint-bot")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the bot (long polling)")
    commands.add_parser("migrate", help="upgrade the database schema to the newest revision")

    orders = commands.add_parser("orders", help="orders from the platform")
    orders_commands = orders.add_subparsers(dest="orders_command", required=True)
    orders_import = orders_commands.add_parser("import", help="import or update orders from CSV")
    orders_import.add_argument("file", type=Path)
    orders_import.add_argument(
        "--shift-to-now",
        action="store_true",
        help="move every time in the file so its newest payment was an hour ago (demo data)",
    )

    audit = commands.add_parser("audit", help="the tamper-evident case history")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    audit_commands.add_parser("verify", help="re-compute every case's hash chain")

    staff = commands.add_parser("staff", help="support staff")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True)
    staff_add = staff_commands.add_parser("add", help="grant a Telegram user a staff role")
    staff_add.add_argument("telegram_id", type=int)
    staff_add.add_argument("--role", choices=STAFF_ROLES, required=True)
    return parser


class Console:
    """Prints operator messages from the locale files, as plain text."""

    def __init__(self, settings: Settings) -> None:
        self.translator = Translator(settings.tz, default_locale=settings.default_locale)
        self.locale = settings.default_locale

    def say(self, key: str, **params: Any) -> None:
        print(self.text(key, **params))

    def error(self, key: str, **params: Any) -> None:
        print(self.text(key, **params), file=sys.stderr)

    def text(self, key: str, **params: Any) -> str:
        return html.unescape(self.translator.render(self.locale, key, params))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"complaint-bot: invalid configuration:\n{exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    console = Console(settings)
    if args.command == "run":
        return _run(settings, console)
    if args.command == "migrate":
        return asyncio.run(_migrate(settings, console))
    if args.command == "orders":
        return asyncio.run(_import_orders(settings, console, args.file, args.shift_to_now))
    if args.command == "audit":
        return asyncio.run(_verify_audit(settings, console))
    if args.command == "staff":
        return asyncio.run(_add_staff(settings, console, args.telegram_id, args.role))
    return 2


def _run(settings: Settings, console: Console) -> int:
    if settings.bot_token is None:
        console.error("cli.no_token")
        return 2
    from bot.runner import run_polling

    asyncio.run(run_polling(settings))
    return 0


async def _migrate(settings: Settings, console: Console) -> int:
    from storage.migrate import upgrade

    await upgrade(settings.resolved_database_url)
    console.say("cli.migrated")
    return 0


async def _import_orders(
    settings: Settings, console: Console, path: Path, shift_to_now: bool
) -> int:
    from storage.orders_import import CsvFormatError, import_orders_csv

    if not await asyncio.to_thread(path.is_file):
        console.error("cli.file_missing", path=str(path))
        return 2
    async with _database(settings) as uow_factory:
        try:
            report = await import_orders_csv(
                uow_factory, path, SystemClock().now(), shift_to_now=shift_to_now
            )
        except CsvFormatError as exc:
            console.error("cli.orders_bad_file", reason=str(exc))
            return 2
    for row_error in report.errors:
        console.error("cli.orders_bad_row", line=row_error.line, reason=row_error.message)
    console.say(
        "cli.orders_summary",
        inserted=report.inserted,
        updated=report.updated,
        unchanged=report.unchanged,
        failed=len(report.errors),
    )
    return 1 if report.errors else 0


async def _verify_audit(settings: Settings, console: Console) -> int:
    from cases.audit import verify_chain
    from storage.audit import case_histories
    from storage.db import make_engine, make_session_factory

    engine = make_engine(settings.resolved_database_url)
    checked = events = 0
    try:
        async for case_no, history in case_histories(make_session_factory(engine)):
            checked += 1
            events += len(history)
            if not history:
                console.error("cli.audit_no_history", case_no=case_no)
                return 1
            bad = verify_chain(history)
            if bad is not None:
                console.error("cli.audit_broken", case_no=case_no, seq=history[bad].seq)
                return 1
    finally:
        await engine.dispose()
    console.say("cli.audit_ok", cases=checked, events=events)
    return 0


async def _add_staff(settings: Settings, console: Console, telegram_id: int, role: str) -> int:
    async with _database(settings) as uow_factory, uow_factory() as uow:
        await uow.staff.set_role(telegram_id, role, SystemClock().now())
        await uow.commit()
    console.say("cli.staff_added", telegram_id=telegram_id, role=role)
    return 0


class _database:
    """Migrates an SQLite file if needed, yields a unit-of-work factory, disposes the engine."""

    def __init__(self, settings: Settings) -> None:
        self.url = settings.resolved_database_url

    async def __aenter__(self) -> Any:
        from storage.db import make_engine, make_session_factory
        from storage.migrate import upgrade
        from storage.uow import SqlUnitOfWork

        if self.url.startswith("sqlite"):
            await upgrade(self.url)
        self.engine = make_engine(self.url)
        factory = make_session_factory(self.engine)
        return lambda: SqlUnitOfWork(factory)

    async def __aexit__(self, *exc_info: object) -> None:
        await self.engine.dispose()
