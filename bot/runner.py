"""Runs the bot (long polling, or the webhook with WEBHOOK_URL) and its loops until stopped.

SIGTERM or SIGINT stops it gracefully: intake stops first (nothing new is acknowledged), the
inbox worker finishes the updates in hand (SHUTDOWN_GRACE at most; an unfinished one is simply
claimed again later), then the background loops stop and the sessions close.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from typing import TYPE_CHECKING

from bot.app import bootstrap_admins, build_bot, build_deps
from bot.audit_heads import INTERVAL as AUDIT_HEADS_INTERVAL
from bot.audit_heads import STALL_AFTER as AUDIT_HEADS_STALL_AFTER
from bot.audit_heads import HeadsPublisher
from bot.calendar_watch import STALL_AFTER as CALENDAR_STALL_AFTER
from bot.calendar_watch import CalendarWatch, log_outlook, outlook_now
from bot.commands import publish_commands
from bot.config import Settings
from bot.deadlines import IDLE as DEADLINES_IDLE
from bot.deadlines import DeadlineWorker
from bot.digest import schedule_first_digest
from bot.dossiers import IDLE as DOSSIERS_IDLE
from bot.dossiers import DossierWorker
from bot.events import ALLOWED_UPDATES
from bot.evidence import IDLE as EVIDENCE_IDLE
from bot.evidence import EvidenceDownloader
from bot.exports import IDLE as EXPORTS_IDLE
from bot.exports import ExportWorker
from bot.fingerprints import BACKFILL_EVERY, FingerprintWorker
from bot.fingerprints import IDLE as FINGERPRINTS_IDLE
from bot.heartbeat import BEAT_BACKOFF, BEAT_EVERY, CHECK_EVERY, Heartbeat, TakenOverError
from bot.inbox import InboxWorker
from bot.intake import PollingIntake, build_webhook_app, start_webhook_server
from bot.leases import RENEW_BACKOFF, LeaseKeeper
from bot.outbox import OutboxSender
from bot.payouts import IDLE as PAYOUTS_IDLE
from bot.payouts import PayoutWorker
from bot.platform_gateway import build_gateway
from bot.retention import INTERVAL as RETENTION_INTERVAL
from bot.retention import STALL_AFTER as RETENTION_STALL_AFTER
from bot.retention import RetentionWorker
from bot.screen_ocr import available as screen_reading_available
from bot.screen_reader import IDLE as SCREEN_READER_IDLE
from bot.screen_reader import STEP_TIMEOUT as SCREEN_READER_STEP_TIMEOUT
from bot.screen_reader import ScreenReader
from bot.supervisor import Supervisor
from bot.transport.runtimes import runtime_label
from bot.turns import TurnRunner
from bot.watchdog import WATCH_EVERY, Watchdog
from cases.clock import Clock, SystemClock
from storage.schema_version import is_current

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 10.0


class StaffChatUnsetError(RuntimeError):
    """STAFF_CHAT_ID is neither a group's id nor "off": the bot does not start."""

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


async def run_bot(
    settings: Settings, clock: Clock | None = None, *, stop: asyncio.Event | None = None
) -> None:
    """Runs until SIGTERM/SIGINT, or until `stop` is set when the caller gives one.

    A caller that gives `stop` (the offline sandbox) owns the process's signals, so the bot
    installs no handlers of its own then.
    """
    if settings.staff_chat_id is None:
        # New cases, missed deadlines and refused payouts are told to the staff chat only:
        # without one they would reach nobody, and nothing would say so.
        raise StaffChatUnsetError("STAFF_CHAT_ID is not set (a group id, or off)")
    if settings.staff_chat is None:
        log.warning(
            "STAFF_CHAT_ID=off: new cases, staff alerts and refused payouts are not delivered "
            "to any staff chat"
        )
    if settings.deep_link_key is None:
        log.warning(
            "DEEP_LINK_SECRET is not set: /start complain_<ORDER_NO> links are taken unsigned "
            "(the buyer is still asked to prove the order is theirs)"
        )
    url = settings.resolved_database_url
    if url.startswith("sqlite") and not await is_current(url):
        # The single-machine shape needs no operator step: the file is migrated on start.
        # Alembic is loaded only then, so a process started on a current file never holds it.
        from storage.migrate import upgrade

        await upgrade(url)
    deps = build_deps(settings, clock or SystemClock())
    log_outlook(outlook_now(deps))
    log.info("runtime %s", runtime_label(settings.bot_runtime))
    bot = build_bot(settings)
    started_up()
    worker_id = deps.worker_id
    loop = asyncio.get_running_loop()
    signals = _SIGNALS if stop is None else ()
    stop = stop or asyncio.Event()
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    supervisor = Supervisor(deps.clock)
    watchdog = Watchdog(deps, supervisor, worker_id)
    keeper = LeaseKeeper(deps, worker_id)
    # Taken for dead by another process (its heartbeat stalled): what this one holds is
    # someone else's now, so it stops, and its supervisor starts it afresh.
    heartbeat = Heartbeat(deps, worker_id, on_lost=stop.set)
    registered = False
    inbox = InboxWorker(deps, TurnRunner(deps, bot), worker_id)
    inbox_task: asyncio.Task[None] | None = None
    polling: asyncio.Task[None] | None = None
    server: web.AppRunner | None = None
    try:
        await bootstrap_admins(deps)
        await schedule_first_digest(deps)
        # Before any claim: what an earlier life of this worker held is free again at once, and so
        # is what a process of this machine that died held; from here on this process beats,
        # takes over the claims of processes that stop beating, and renews its leases.
        await heartbeat.start()
        registered = True
        supervisor.repeat(
            "heartbeat", heartbeat.beat, idle=BEAT_EVERY, periodic=True, backoff=BEAT_BACKOFF
        )
        supervisor.repeat(
            "takeover", heartbeat.check, idle=CHECK_EVERY, periodic=True, backoff=BEAT_BACKOFF
        )
        supervisor.repeat(
            "leases", keeper.renew, idle=keeper.every, periodic=True, backoff=RENEW_BACKOFF
        )
        # Reports every loop's health for `complaint-bot health` and alerts staff to a stall.
        supervisor.repeat("watchdog", watchdog.tick, idle=WATCH_EVERY, periodic=True)
        await publish_commands(bot, deps.translator, settings.default_locale)
        me = await bot.me()
        # Every loop is supervised: an exception is logged and backed off, never its end.
        downloader = EvidenceDownloader(deps, bot, worker_id)
        supervisor.repeat("evidence", downloader.run_once, idle=EVIDENCE_IDLE)
        fingerprints = FingerprintWorker(deps, worker_id)
        supervisor.repeat("fingerprints", fingerprints.run_once, idle=FINGERPRINTS_IDLE)
        supervisor.repeat(
            "fingerprint-backfill", fingerprints.backfill, idle=BACKFILL_EVERY, periodic=True
        )
        outbox = OutboxSender(deps, bot, worker_id, limiter=deps.limiter, leases=keeper)
        supervisor.start("outbox", outbox.run_forever)
        deadlines = DeadlineWorker(deps, worker_id)
        supervisor.repeat("deadlines", deadlines.run_once, idle=DEADLINES_IDLE)
        payouts = PayoutWorker(deps, build_gateway(settings), worker_id)
        supervisor.repeat("payouts", payouts.run_once, idle=PAYOUTS_IDLE)
        exports = ExportWorker(deps, worker_id)
        supervisor.repeat("exports", exports.run_once, idle=EXPORTS_IDLE)
        if screen_reading_available():
            # Without the `ocr` extra the jobs wait; the staff card says reading is off.
            reader = ScreenReader(deps, worker_id)
            supervisor.repeat(
                "screen-reader",
                reader.run_once,
                idle=SCREEN_READER_IDLE,
                step_timeout=SCREEN_READER_STEP_TIMEOUT,
            )
        dossiers = DossierWorker(deps, worker_id)
        supervisor.repeat("dossiers", dossiers.run_once, idle=DOSSIERS_IDLE)
        retention = RetentionWorker(deps)
        supervisor.repeat(
            "retention",
            retention.run_once,
            idle=RETENTION_INTERVAL,
            periodic=True,
            stall_after=RETENTION_STALL_AFTER,
        )
        watch = CalendarWatch(deps)
        supervisor.start("calendar", watch.run_forever, stall_after=CALENDAR_STALL_AFTER)
        heads = HeadsPublisher(deps)
        supervisor.repeat(
            "audit-heads",
            heads.run_once,
            idle=AUDIT_HEADS_INTERVAL,
            periodic=True,
            stall_after=AUDIT_HEADS_STALL_AFTER,
        )
        # Updates stored by an earlier run (or another process) are worked off first.
        inbox_task = supervisor.start("inbox", inbox.run_forever)
        if settings.webhook_url is not None and settings.webhook_secret is not None:
            secret = settings.webhook_secret.get_secret_value()
            app = build_webhook_app(deps, inbox, settings.webhook_path, secret)
            server = await start_webhook_server(app, settings.webhook_host, settings.webhook_port)
            await bot.set_webhook(settings.webhook_url, secret, ALLOWED_UPDATES)
            log.info(
                "bot @%s is running (webhook on %s:%s%s)",
                me.username,
                settings.webhook_host,
                settings.webhook_port,
                settings.webhook_path,
            )
        else:
            await bot.delete_webhook()
            intake = PollingIntake(deps, bot, inbox, ALLOWED_UPDATES, settings.polling_timeout)
            polling = supervisor.start("polling", intake.run_forever)
            log.info("bot @%s is running (long polling)", me.username)
        await stop.wait()
        log.info("stopping: no new updates; finishing the ones in hand")
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
        # Intake first: what is not stored now stays with Telegram and comes again.
        if polling is not None:
            await supervisor.stop("polling")
        if server is not None:
            await server.cleanup()
        if inbox_task is not None:
            inbox.stop()
            try:
                await asyncio.wait_for(asyncio.shield(inbox_task), SHUTDOWN_GRACE)
            except TimeoutError:
                log.warning("updates still running after %s s; they will run again", SHUTDOWN_GRACE)
            await supervisor.stop("inbox")
        await supervisor.stop_all()
        try:
            await watchdog.withdraw()  # stopped cleanly: not a silent worker to worry about
        except Exception:
            log.exception("withdrawing this worker's loop reports failed; they age out")
        # Nothing runs any more: what this process held is free for the others at once.
        with contextlib.suppress(Exception):
            await keeper.release()
        if registered:
            await heartbeat.stop()
        await bot.close()
        await deps.close()
        if deps.redis is not None:
            await deps.redis.aclose()
    if deps.liveness.lost:
        raise TakenOverError(f"worker {worker_id} was taken over by another process")


def started_up() -> None:
    """Everything long-lived is built (the runtime's library loaded, the dependencies made):
    if the command line paused the cyclic collector for start-up (bot/cli.py), what start-up
    made is moved out of its reach for good (`gc.freeze`) and it runs again. From here on the
    process waits on the network, where garbage made meanwhile must not pile up."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


# The name from before webhook mode existed; tests and scripts still call it.
run_polling = run_bot
