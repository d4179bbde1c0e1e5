"""Warns the operator while the published holiday data runs out, and once it has run out.

From WARN_DAYS before the State Council's published arrangements end (cases.calendar), and for
as long as deadlines rest on the estimate after them, the bot says so: in the log at start-up,
in the staff chat once a day (an outbox row keyed by the local date, so several processes and
restarts still queue it once; the first an hour after start), and in `complaint-bot calendar
check`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from cases.calendar import CalendarOutlook, calendar_outlook
from cases.health import STALL_AFTER as HEALTHY_SILENCE
from dialogs.types import Reply

if TYPE_CHECKING:
    from bot.deps import Deps
    from bot.supervisor import LoopHealth

Sleep = Callable[[float], Awaitable[None]]

log = logging.getLogger(__name__)

INTERVAL = 3600.0  # seconds between looks: the warning is daily, the hour it starts matters little
STALL_AFTER = HEALTHY_SILENCE + timedelta(seconds=INTERVAL)


def outlook_now(deps: Deps) -> CalendarOutlook:
    """Returns the outlook of the published data on today's local date."""
    calendar = deps.calendar
    return calendar_outlook(
        deps.clock.now().astimezone(calendar.tz).date(), calendar.data_ends()
    )


def log_outlook(outlook: CalendarOutlook) -> None:
    """Logs a warning at start-up while the published holiday data runs out or is missing."""
    if not outlook.warn:
        return
    years = ", ".join(str(year) for year in outlook.estimated_years)
    if outlook.estimating:
        log.warning(
            "holiday data: the published arrangements ended on %s; deadlines in %s are "
            "estimated without make-up working days; upgrade chinesecalendar or fill "
            "holiday_file (complaint-bot calendar check)",
            outlook.data_ends,
            years,
        )
    else:
        log.warning(
            "holiday data: the published arrangements end on %s (%s days left); deadlines in %s "
            "will be estimated without make-up working days; upgrade chinesecalendar once the "
            "State Council publishes them (complaint-bot calendar check)",
            outlook.data_ends,
            outlook.days_left,
            years,
        )


def staff_warning(outlook: CalendarOutlook) -> Reply:
    """The staff chat's daily warning."""
    return Reply(
        "calendar.staff_warning",
        {
            "estimating": outlook.estimating,
            "ends": outlook.data_ends,
            "days_left": outlook.days_left,
            "year": outlook.estimated_years[0],
        },
    )


class CalendarWatch:
    """Queues the staff chat's warning once a day while the holiday data runs out."""

    def __init__(self, deps: Deps, sleep: Sleep = asyncio.sleep) -> None:
        self.deps = deps
        self.sleep = sleep

    async def run_forever(self, health: LoopHealth) -> None:
        """Looks every INTERVAL, the first time one INTERVAL after start.

        The start-up log has just warned; the staff chat hears it within the hour, and a bot
        restarted again and again (or the sandbox, reset) does not post on every start.
        """
        while True:
            await self.sleep(INTERVAL)
            await self.run_once()
            health.ok()

    async def run_once(self) -> bool:
        """Queues today's warning if it is due and not queued yet; True when one applies."""
        deps = self.deps
        outlook = outlook_now(deps)
        staff_chat = deps.settings.staff_chat
        if not outlook.warn or staff_chat is None:
            return False
        now = deps.clock.now()
        # Sent in the reminder hours too: a warning that can wait for the morning does.
        opens = datetime.combine(
            outlook.today, deps.policy.reminder_hours[0], tzinfo=deps.calendar.tz
        )
        payload = staff_warning(outlook).to_payload(deps.settings.default_locale)
        async with deps.uow() as uow:
            await uow.outbox.add(
                staff_chat, payload, max(now, opens), f"calendar:{outlook.today.isoformat()}"
            )
            await uow.commit()
        return True
