"""The one wiring point: builds every long-lived object from the settings."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from bot.chat_locks import ChatLocks, PerChatLocks
from bot.config import Settings
from bot.deps import Deps, default_worker_id
from bot.ratelimit import LocalSendLimiter, SendLimiter
from bot.screen_ocr import available as screen_reading_available
from bot.transport.port import BotPort
from bot.transport.runtimes import build_port
from cases.calendar import build_calendar
from cases.clock import Clock
from cases.policy import load_policy
from dialogs.context import DialogEnv
from dialogs.notices import CaseNotifier
from locales import Translator
from storage.connections import connections_for
from storage.db import make_engine, make_session_factory
from storage.uow import SqlUnitOfWork

if TYPE_CHECKING:
    # Loaded only with REDIS_URL (see build_deps): a single process never needs the client.
    from redis.asyncio import Redis


# Records that the locale texts as installed passed Translator.check_all.
LOCALES_CHECKED = "locales.checked"


def build_deps(settings: Settings, clock: Clock) -> Deps:
    policy = load_policy(settings.policy_file, settings.timezone, settings.reminder_window)
    calendar = build_calendar(settings.timezone, policy.holiday_file)
    translator = Translator(settings.tz, default_locale=settings.default_locale)
    translator.check_all_once(settings.data_dir / LOCALES_CHECKED)
    engine = make_engine(settings.resolved_database_url)
    session_factory = make_session_factory(engine)
    connections = connections_for(settings.resolved_database_url)
    env = DialogEnv(
        clock=clock,
        policy=policy,
        calendar=calendar,
        staff_chat_id=settings.staff_chat,
        default_locale=settings.default_locale,
        inbox_retention_days=settings.inbox_retention_days,
        outbox_retention_days=settings.outbox_retention_days,
        deep_link_secret=settings.deep_link_key,
        support=settings.support,
        screen_reading=screen_reading_available(),
    )
    # Staff pay by hand unless a platform gateway pays: then no "refund paid" button is shown.
    notifier = CaseNotifier.from_env(env, manual_payout=settings.platform_gateway == "manual")
    redis: Redis | None = None
    limiter: SendLimiter = LocalSendLimiter()
    chat_locks: PerChatLocks = ChatLocks()
    if settings.redis_url:
        from redis.asyncio import Redis

        from bot.redis_limits import RedisChatLocks, RedisSendLimiter

        redis = Redis.from_url(settings.redis_url)
        # Telegram's limits are per bot: bots sharing one Redis keep separate budgets and locks.
        keys = f"bot:{settings.bot_id}"
        limiter = RedisSendLimiter(redis, f"{keys}:limits")
        chat_locks = RedisChatLocks(redis, f"{keys}:chatlock")
    return Deps(
        settings=settings,
        clock=clock,
        policy=policy,
        calendar=calendar,
        translator=translator,
        env=replace(env, notifier=notifier),
        engine=engine,
        uow=lambda: SqlUnitOfWork(session_factory, connections),
        notifier=notifier,
        limiter=limiter,
        chat_locks=chat_locks,
        redis=redis,
        worker_id=settings.worker_id or default_worker_id(),
        connections=connections,
    )


def build_bot(settings: Settings) -> BotPort:
    """The Bot API port on BOT_RUNTIME; TELEGRAM_API_URL covers both the method calls and the
    file downloads."""
    if settings.bot_token is None:
        raise ValueError("BOT_TOKEN is not set")
    token = settings.bot_token.get_secret_value()
    return build_port(settings.bot_runtime, token, settings.api_base)


async def bootstrap_admins(deps: Deps) -> None:
    """Makes every ADMIN_IDS user an admin, so a fresh deployment has someone to run it."""
    if not deps.settings.admin_ids:
        return
    async with deps.uow() as uow:
        for user_id in deps.settings.admin_ids:
            if await uow.staff.role_of(user_id) != "admin":
                await uow.staff.set_role(user_id, "admin", deps.clock.now())
        await uow.commit()
