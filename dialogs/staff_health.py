"""`/health` for staff, and the staff chat's alerts about a background loop that stalled.

The same report as `complaint-bot health`: every bot process that reports, live ones first,
each with its loops' last success and last error (cases/health.py decides what is stalled).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cases.health import HealthReport, LoopStatus, WorkerHealth, health_report
from dialogs.context import Turn
from dialogs.types import Reply


async def health_command(turn: Turn) -> None:
    """Shows each process's loops; the caller has checked that the user is staff."""
    report = health_report(await turn.uow.loops.list(), turn.now)
    turn.say("health.report", **report_params(report))


def report_params(report: HealthReport) -> dict[str, Any]:
    """The report as plain data for the `health.report` and `health.cli.report` texts."""
    return {
        "healthy": report.healthy,
        "live": len(report.live),
        "workers": [_worker(worker, report.now) for worker in report.workers],
    }


def _worker(worker: WorkerHealth, now: datetime) -> dict[str, Any]:
    stalled = {status.loop for status in worker.stalled}
    return {
        "id": worker.worker_id,
        "live": worker.live,
        "reported_at": worker.reported_at,
        "loops": [_loop(status, status.loop in stalled, now) for status in worker.loops],
    }


def _loop(status: LoopStatus, stalled: bool, now: datetime) -> dict[str, Any]:
    return {
        "name": status.loop,
        "stalled": stalled,
        "last_success_at": status.last_success_at,
        "started_at": status.started_at,
        "quiet_minutes": _minutes(now, status.quiet_since),
        "last_error": status.last_error or "",
        "last_error_at": status.last_error_at,
        "failures": status.failures,
    }


def _minutes(now: datetime, since: datetime) -> int:
    return max(int((now - since).total_seconds() // 60), 0)


def loop_stalled_notice(status: LoopStatus, now: datetime) -> Reply:
    """The staff chat's one alert about a loop of a process that has stopped succeeding."""
    return Reply(
        "health.alert.stalled",
        {
            "loop": status.loop,
            "worker": status.worker_id,
            "since": status.quiet_since,
            "minutes": _minutes(now, status.quiet_since),
            "never": status.last_success_at is None,
            "last_error": status.last_error or "",
            "failures": status.failures,
        },
    )


def loop_recovered_notice(status: LoopStatus, since: datetime) -> Reply:
    """The notice that a stalled loop succeeds again, with how long it did not."""
    until = status.last_success_at or since
    return Reply(
        "health.alert.recovered",
        {
            "loop": status.loop,
            "worker": status.worker_id,
            "since": since,
            "until": until,
            "minutes": _minutes(until, since),
        },
    )

