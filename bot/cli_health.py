"""`complaint-bot health [--worker WORKER_ID]`: what the bot processes report of their loops.

A container's health check runs it beside its bot process (bot/watchdog.py writes the reports):
exit 0 when every loop of every live process (or of the one asked about) succeeds, 1 otherwise.
"""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError

from bot.cli import Console
from bot.config import Settings
from cases.clock import SystemClock
from cases.health import HealthReport, health_report
from dialogs.staff_health import report_params
from storage.db import make_engine, make_session_factory
from storage.uow import SqlUnitOfWork


async def report(settings: Settings, console: Console, worker: str | None) -> int:
    """Prints what the bot processes last reported; 0 when all is well, 1 otherwise."""
    engine = make_engine(settings.resolved_database_url)
    try:
        async with SqlUnitOfWork(make_session_factory(engine)) as uow:
            statuses = await uow.loops.list()
    except (SQLAlchemyError, OSError) as exc:
        console.error("health.cli.unreadable", reason=str(exc).splitlines()[0])
        return 1
    finally:
        await engine.dispose()
    report = health_report(statuses, SystemClock().now())
    if worker is not None:
        report = HealthReport(report.now, [w for w in report.workers if w.worker_id == worker])
        if not report.workers:
            console.error("health.cli.unknown_worker", worker=worker)
            return 1
    console.say("health.report", **report_params(report))
    return 0 if report.healthy else 1
