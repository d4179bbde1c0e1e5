"""`complaint-bot` (also `python -m bot`): run the bot and the operator's commands."""

from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import logging
import re
import secrets
import sys
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from bot.config import Settings
from cases.clock import SystemClock
from cases.export import COLUMNS, ExportArgsError, ExportFormat, parse_filter, row, text_cells
from cases.model import Case
from locales import Translator

STAFF_ROLES = ("agent", "arbitrator", "admin")
# A complaint link's default life: the complaint window is 7 days from payment.
LINK_DAYS = 7


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="complaint-bot")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the bot (long polling, or the webhook with WEBHOOK_URL)")
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

    health = commands.add_parser(
        "health",
        help="each bot process's background loops: last success, last error; "
        "exits 1 when a loop of a live process has not succeeded for 5 minutes",
    )
    health.add_argument(
        "--worker", help="check only the process of this WORKER_ID (a container's health check)"
    )

    audit = commands.add_parser("audit", help="the tamper-evident case history")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    audit_verify = audit_commands.add_parser(
        "verify", help="re-compute every case's hash chain and check its rows against it"
    )
    audit_verify.add_argument(
        "--against",
        type=Path,
        metavar="FILE",
        help="also check every case and chain head published in this file (AUDIT_HEADS_FILE)",
    )
    audit_commands.add_parser(
        "publish", help="append the chain heads to AUDIT_HEADS_FILE and send them to the staff chat"
    )

    cases = commands.add_parser("cases", help="the complaint cases")
    cases_commands = cases.add_subparsers(dest="cases_command", required=True)
    cases_export = cases_commands.add_parser(
        "export", help="write the cases as CSV or XLSX (amounts in yuan, times in TIMEZONE)"
    )
    cases_export.add_argument(
        "--since", type=date.fromisoformat, help="only cases filed on or after this date"
    )
    cases_export.add_argument(
        "--output", type=Path, help="the file to write (default: standard output, CSV only)"
    )
    cases_export.add_argument(
        "filters",
        nargs="*",
        help="as /export: 7d|30d|YYYY-MM|YYYY-MM-DD..YYYY-MM-DD, status=S[,S], merchant=CODE",
    )
    cases_export.add_argument("--format", choices=["csv", "xlsx"], help="csv (default) or xlsx")

    stats = commands.add_parser(
        "stats",
        help="how complaints go: outcomes, refunds, times and SLA by complaint type and merchant",
    )
    stats.add_argument(
        "period", nargs="?", default="30d", help="7d, 30d (default) or a month, YYYY-MM"
    )
    stats.add_argument("--merchant", metavar="CODE", help="only this merchant's cases")
    stats.add_argument("--chart", type=Path, metavar="FILE", help="also write the chart as PNG")

    calendar = commands.add_parser("calendar", help="the working-day calendar")
    calendar_commands = calendar.add_subparsers(dest="calendar_command", required=True)
    calendar_commands.add_parser(
        "check",
        help="show how far the published holiday data reaches and the holidays estimated after "
        "it; exits 1 from 60 days before it runs out",
    )

    backup = commands.add_parser(
        "backup", help="copy the SQLite database, safely while the bot runs, and check the copy"
    )
    backup.add_argument("file", type=Path, help="the new file to write")

    staff = commands.add_parser("staff", help="support staff")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True)
    staff_add = staff_commands.add_parser("add", help="grant a Telegram user a staff role")
    staff_add.add_argument("telegram_id", type=int)
    staff_add.add_argument("--role", choices=STAFF_ROLES, required=True)
    staff_commands.add_parser("list", help="list every staff member and their role")
    staff_remove = staff_commands.add_parser(
        "remove", help="take a user's staff role away (never the last admin's)"
    )
    staff_remove.add_argument("telegram_id", type=int)

    merchants = commands.add_parser("merchants", help="merchants who answer complaints")
    merchants_commands = merchants.add_subparsers(dest="merchants_command", required=True)
    merchants_add = merchants_commands.add_parser(
        "add", help="add (or rename) a merchant and print a one-time link that binds its account"
    )
    merchants_add.add_argument("merchant_code", help="the merchant code used in the orders")
    merchants_add.add_argument("--name", required=True, help="the shop name people know")
    merchants_add.add_argument(
        "--bot-username",
        help="the bot's @username for the link; asked from Telegram when BOT_TOKEN is set",
    )
    merchants_commands.add_parser(
        "list", help="list the merchants, the account each is bound to and their open cases"
    )
    merchants_unbind = merchants_commands.add_parser(
        "unbind", help="unbind a merchant's Telegram account and void its unused link"
    )
    merchants_unbind.add_argument("merchant_code")
    merchants_legal = merchants_commands.add_parser(
        "legal",
        help="show, or set from the business licence, the merchant's legal name, address and "
        "统一社会信用代码 (the respondent in a dossier for 12315)",
    )
    merchants_legal.add_argument("merchant_code")
    merchants_legal.add_argument("--legal-name", help="the name on the business licence")
    merchants_legal.add_argument("--address", help="the registered address (住所)")
    merchants_legal.add_argument(
        "--credit-code", help="the 18-character 统一社会信用代码; its check character is verified"
    )

    links = commands.add_parser("links", help="signed links into the bot, for the platform")
    links_commands = links.add_subparsers(dest="links_command", required=True)
    links_complain = links_commands.add_parser(
        "complain", help="print a signed link that starts a complaint about one order"
    )
    links_complain.add_argument("order_no")
    links_complain.add_argument(
        "--days", type=int, default=LINK_DAYS, help=f"how long the link works (default {LINK_DAYS})"
    )
    links_complain.add_argument(
        "--bot-username",
        help="the bot's @username for the link; asked from Telegram when BOT_TOKEN is set",
    )
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
        return self.translator.render_plain(self.locale, key, params)


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
    if args.command == "health":
        from bot import cli_health

        return asyncio.run(cli_health.report(settings, console, args.worker))
    if args.command == "audit":
        from bot import cli_audit

        if args.audit_command == "publish":
            return asyncio.run(cli_audit.publish(settings, console))
        return asyncio.run(cli_audit.verify(settings, console, args.against))
    if args.command == "cases":
        words = [*args.filters, *([args.format] if args.format else [])]
        if not {word.lower() for word in words} & {"csv", "xlsx"}:
            words.append("csv")  # the CLI's default, as before XLSX existed
        filters = " ".join(words)
        return asyncio.run(_export_cases(settings, console, args.since, args.output, filters))
    if args.command == "stats":
        from bot.cli_stats import stats

        return asyncio.run(stats(settings, console, args.period, args.merchant, args.chart))
    if args.command == "calendar":
        from bot.cli_calendar import check_calendar, configured_calendar

        calendar = configured_calendar(settings)
        return check_calendar(
            console, SystemClock().now().astimezone(calendar.tz).date(), calendar=calendar
        )
    if args.command == "backup":
        return asyncio.run(_backup(settings, console, args.file))
    if args.command == "staff":
        return asyncio.run(_staff(settings, console, args))
    if args.command == "merchants":
        return asyncio.run(_merchants(settings, console, args))
    if args.command == "links":
        return asyncio.run(
            _complaint_link(settings, console, args.order_no, args.days, args.bot_username)
        )
    return 2


def _run(settings: Settings, console: Console) -> int:
    if settings.bot_token is None:
        console.error("cli.no_token")
        return 2
    # Start-up makes some 200 MB of objects that live as long as the process (aiogram's
    # pydantic models, SQLAlchemy's mappings, the dialogs), and the cyclic collector scanned
    # them over and over while they were made: a quarter of a second of every start. It is off
    # until they are built (bot/runner.py, `started_up`), then they are left out of later
    # collections.
    gc.disable()
    from bot.heartbeat import TakenOverError
    from bot.runner import StaffChatUnsetError, run_bot

    try:
        asyncio.run(run_bot(settings))
    except StaffChatUnsetError:
        console.error("cli.no_staff_chat")
        return 2
    except TakenOverError:
        return 1  # logged; the supervisor (systemd, the container runtime) starts it afresh
    finally:
        gc.enable()  # start-up failed before it was
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


# The export's columns and cells are the chat export's (cases/export.py).
EXPORT_COLUMNS = COLUMNS


def export_row(case: Case, tz: ZoneInfo) -> list[str]:
    """One CSV line of `EXPORT_COLUMNS`; empty cells for what the case does not have."""
    return text_cells(row(case, tz))


async def _export_cases(
    settings: Settings, console: Console, since: date | None, output: Path | None, filters: str
) -> int:
    from bot.export_files import write_export
    from storage.export import all_cases

    try:
        wanted = parse_filter(filters, SystemClock().now(), settings.tz)
    except ExportArgsError as refused:
        console.error("export.usage", token=refused.token)
        return 2
    start = wanted.since
    if since is not None:
        start = datetime.combine(since, time(), tzinfo=settings.tz)
    if output is None and wanted.format is ExportFormat.XLSX:
        console.error("cli.xlsx_needs_output")
        return 2
    database = _database(settings)
    async with database:
        cases = all_cases(
            database.sessions,
            start,
            until=wanted.until,
            statuses=wanted.statuses,
            merchant=wanted.merchant,
        )
        if output is not None:
            written = (await write_export(cases, output, wanted.format, settings.tz)).rows
        else:
            written = 0
            writer = csv.writer(sys.stdout)
            writer.writerow(EXPORT_COLUMNS)
            async for case in cases:
                writer.writerow(export_row(case, settings.tz))
                written += 1
    # The count goes to stderr so that standard output stays pure CSV.
    console.error("cli.cases_exported", count=written, target=str(output or "-"))
    return 0


async def _backup(settings: Settings, console: Console, target: Path) -> int:
    from storage.export import BackupError, backup_sqlite, sqlite_path

    source = sqlite_path(settings.resolved_database_url)
    if source is None:
        console.error("cli.backup_not_sqlite")
        return 2
    try:
        size = await backup_sqlite(source, target)
    except BackupError as exc:
        console.error(
            f"cli.backup_{exc.reason}", source=str(source), target=str(target), detail=exc.detail
        )
        return 1
    console.say("cli.backup_done", target=str(target), kib=size // 1024)
    return 0


async def _staff(settings: Settings, console: Console, args: argparse.Namespace) -> int:
    from bot import cli_accounts

    if args.staff_command == "add":
        return await _add_staff(settings, console, args.telegram_id, args.role)
    async with _database(settings) as uows:
        if args.staff_command == "list":
            return await cli_accounts.list_staff(uows, settings, console)
        return await cli_accounts.remove_staff(uows, settings, console, args.telegram_id)


async def _merchants(settings: Settings, console: Console, args: argparse.Namespace) -> int:
    from bot import cli_accounts

    if args.merchants_command == "add":
        return await _add_merchant(
            settings, console, args.merchant_code, args.name, args.bot_username
        )
    async with _database(settings) as uows:
        if args.merchants_command == "list":
            return await cli_accounts.list_merchants(uows, console)
        if args.merchants_command == "legal":
            given = (args.legal_name, args.address, args.credit_code)
            return await cli_accounts.merchant_legal(uows, console, args.merchant_code, given)
        return await cli_accounts.unbind_merchant(uows, settings, console, args.merchant_code)


async def _add_staff(settings: Settings, console: Console, telegram_id: int, role: str) -> int:
    from bot.cli_accounts import tell_staff

    async with _database(settings) as uow_factory, uow_factory() as uow:
        before = await uow.staff.role_of(telegram_id)
        await uow.staff.set_role(telegram_id, role, SystemClock().now())
        if before != role:
            await tell_staff(uow, settings, "staff.admin.operator_added",
                             {"id": telegram_id, "role": role, "before": before})
        await uow.commit()
    console.say("cli.staff_added", telegram_id=telegram_id, role=role)
    return 0


# The columns that hold them (storage/models.py MerchantRow).
MERCHANT_CODE = re.compile(r"[A-Za-z0-9_.-]{1,32}")
MERCHANT_NAME_MAX = 128
# Telegram usernames: 5-32 letters, digits and underscores.
BOT_USERNAME = re.compile(r"[A-Za-z0-9_]{5,32}")
# 24 random bytes: 32 URL-safe characters, well inside a deep link's 64 (with "m_").
BIND_TOKEN_BYTES = 24


async def _add_merchant(
    settings: Settings, console: Console, code: str, name: str, given_username: str | None
) -> int:
    """Saves the merchant and a fresh one-time binding token, and prints the link to send."""
    from dialogs.merchant import BIND_PREFIX, token_hash

    code, name = code.strip(), name.strip()
    if not MERCHANT_CODE.fullmatch(code):
        console.error("cli.merchant_bad_code", code=code)
        return 2
    if not name or len(name) > MERCHANT_NAME_MAX:
        console.error("cli.merchant_bad_name", max=MERCHANT_NAME_MAX)
        return 2
    # Asked before anything is written, so a missing username leaves the database as it was.
    username = await _bot_username(settings, console, given_username)
    if username is None:
        return 2
    token = secrets.token_urlsafe(BIND_TOKEN_BYTES)
    now = SystemClock().now()
    async with _database(settings) as uow_factory, uow_factory() as uow:
        merchant = await uow.merchants.upsert(code, name, now)
        # Only the hash is stored: the link in the operator's terminal is the one copy.
        await uow.merchants.set_bind_token(code, token_hash(token), now)
        await uow.commit()
    console.say(
        "cli.merchant_added",
        code=merchant.code,
        name=merchant.name,
        link=f"https://t.me/{username}?start={BIND_PREFIX}{token}",
        bound=merchant.telegram_user_id is not None,
    )
    return 0


async def _complaint_link(
    settings: Settings, console: Console, order_no: str, days: int, given_username: str | None
) -> int:
    """Prints a signed `/start complain_…` link for the order (dialogs/deep_links.py)."""
    from dialogs import deep_links

    key = settings.deep_link_key
    if key is None:
        console.error("cli.link_no_secret")
        return 2
    if days < 1:
        console.error("cli.link_bad_days")
        return 2
    expires = SystemClock().now() + timedelta(days=days)
    try:
        parameter = deep_links.sign(key, order_no.strip(), expires)
    except ValueError:
        console.error("cli.link_bad_order", order_no=order_no)
        return 2
    username = await _bot_username(settings, console, given_username)
    if username is None:
        return 2
    console.say(
        "cli.link_made",
        link=f"https://t.me/{username}?start={parameter}",
        order_no=order_no.strip(),
        expires=expires,
    )
    return 0


async def _bot_username(settings: Settings, console: Console, given: str | None) -> str | None:
    """The bot's username: Telegram's answer to getMe with BOT_TOKEN, else --bot-username."""
    wanted = None if given is None else given.strip().removeprefix("@")
    if wanted is not None and not BOT_USERNAME.fullmatch(wanted):
        console.error("cli.merchant_bad_username", username=given)
        return None
    if settings.bot_token is None:
        if wanted is None:
            console.error("cli.merchant_no_username")
        return wanted
    from bot.app import build_bot
    from bot.transport.port import BotApiError

    bot = build_bot(settings)
    try:
        me = await bot.me()
    except BotApiError as exc:
        console.error("cli.merchant_getme_failed", reason=str(exc))
        return None
    finally:
        await bot.close()
    actual = me.username or ""
    if not actual:
        console.error("cli.merchant_no_username")
        return None
    if wanted is not None and wanted.lower() != actual.lower():
        console.error("cli.merchant_username_mismatch", given=wanted, actual=actual)
        return None
    return actual


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
        self.sessions = make_session_factory(self.engine)
        return lambda: SqlUnitOfWork(self.sessions)

    async def __aexit__(self, *exc_info: object) -> None:
        await self.engine.dispose()
