"""The turn of one update, the same for every chat and every Telegram runtime.

A raw update (as the inbox stores it) is read into a neutral one (bot/events.py); the chat it
comes from picks the dialog (the private chat, the staff group, another group); then, in one
unit of work: the update is marked processed (the same update twice has one effect), the user
is touched, the chat unblocked, the dialog answers, its replies are queued in the outbox, and it
all commits. Only then the button is answered and the replies are sent (bot/outbox.py).

Being in the staff group grants nothing: dialogs/staff.py checks the pressing user's role and
the case's status on every update. Staff cards keep their keyboards, so a card stays usable for
the next step and for colleagues, and a refused press also pops up the reason as an alert; in
the private chat every answer carries fresh buttons, so the pressed keyboard is retired. In
other groups only an admin's /chatid, or the bot being added, is answered (dialogs/groups.py).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bot.apology import apology_locale, apology_target
from bot.deps import Deps
from bot.events import (
    ADDED_TO_GROUP,
    GROUP_TYPES,
    Inbound,
    Press,
    addressed_to_another_bot,
    read_update,
)
from bot.leases import LEASE
from bot.outbox import Ahead, claim_ahead, queue_replies, send_queued
from bot.transport.port import BotPort, Outcome, Refused, Sent, describe
from dialogs import buyer, groups, staff
from dialogs.context import UserCtx
from dialogs.types import Event, Reply
from storage.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

# Telegram shows at most 200 characters in a callback query's alert.
ALERT_LIMIT = 200

Dialog = Callable[[Event, UserCtx, SqlUnitOfWork, Deps], Awaitable[tuple[list[Reply], str]]]


async def _buyer(
    event: Event, ctx: UserCtx, uow: SqlUnitOfWork, deps: Deps
) -> tuple[list[Reply], str]:
    answered = await buyer.handle(event, ctx, uow, deps.env)
    return answered.replies, answered.locale


async def _staff(
    event: Event, ctx: UserCtx, uow: SqlUnitOfWork, deps: Deps
) -> tuple[list[Reply], str]:
    # Settled before the event, as for buyers: the step may change the profile that holds it.
    locale = await staff.group_locale(uow, ctx, deps.env)
    return await staff.handle_group(event, ctx, uow, deps.env, deps.notifier), locale


async def _other_group(
    event: Event, ctx: UserCtx, uow: SqlUnitOfWork, deps: Deps
) -> tuple[list[Reply], str]:
    # A group has no one language; the deployment's.
    return await groups.handle_other_group(event, ctx, uow, deps.env), deps.env.default_locale


class Rider(Protocol):
    """The caller's own work done in the turn's transaction, after the turn's and before its
    commit (bot/inbox.py: the update marked done and the lane's next one claimed, a transaction
    per update saved). Told once that transaction has committed."""

    async def ride(self, uow: SqlUnitOfWork) -> None: ...

    def committed(self) -> None: ...


@dataclass(frozen=True)
class Place:
    """What kind of chat an update comes from, and how its turn goes there."""

    name: str
    dialog: Dialog
    # Keeps the user's language and name (not for members of groups the bot merely sits in).
    touches_user: bool
    # A refused press pops up its reason (else the spinner is stopped before the dialog runs).
    alerts: bool
    # Retires the pressed keyboard once the answer is out.
    retires_keyboard: bool


PRIVATE = Place("private", _buyer, touches_user=True, alerts=False, retires_keyboard=True)
STAFF = Place("staff", _staff, touches_user=True, alerts=True, retires_keyboard=False)
GROUP = Place("group", _other_group, touches_user=False, alerts=False, retires_keyboard=False)


def place_of(inbound: Inbound, staff_chat_id: int | None) -> Place | None:
    """Where the update belongs; None for an update no dialog takes."""
    if inbound.private:
        return PRIVATE
    if inbound.chat_id == staff_chat_id and inbound.event != ADDED_TO_GROUP:
        return STAFF  # the bot's joining is the groups' business: an admin learns the id
    if inbound.chat_type in GROUP_TYPES and inbound.press is None:
        return GROUP
    return None


class TurnRunner:
    """Runs the turn of each update handed to it (by the inbox worker, or a test)."""

    def __init__(self, deps: Deps, bot: BotPort) -> None:
        self.deps = deps
        self.bot = bot
        self.staff_chat_id = deps.settings.staff_chat

    async def feed(self, update: Mapping[str, Any], rider: Rider | None = None) -> None:
        """Handles one raw update; MalformedUpdate (a ValueError) for one that cannot be read.

        Any other failure is logged and the user is told (in a private chat); the update then
        counts as handled, its saved draft untouched. `rider` rides in the turn's transaction,
        when the update has one (an update no dialog takes has none).
        """
        inbound = read_update(update)
        if inbound is None:
            return
        place = place_of(inbound, self.staff_chat_id)
        if place is None:
            return
        if place is not PRIVATE and (inbound.sender.is_bot or await self._for_another(inbound)):
            return
        try:
            await self.deps.chat_locks.run(
                inbound.chat_id, lambda: self._turn(place, inbound, rider)
            )
        except Exception as exc:
            await self._apologise(inbound, exc)

    async def _for_another(self, inbound: Inbound) -> bool:
        if inbound.text is None or not inbound.text.startswith("/"):
            return False
        return addressed_to_another_bot(inbound.text, (await self.bot.me()).username)

    async def _turn(self, place: Place, inbound: Inbound, rider: Rider | None) -> None:
        deps, sender, press = self.deps, inbound.sender, inbound.press
        if press is not None and not place.alerts:
            # Answer first: Telegram shows a spinner on the button until the query is answered.
            await self._tidy(self.bot.answer_callback(press.query_id), "answering a button press")
        ctx = UserCtx(
            user_id=sender.id,
            language_code=sender.language_code,
            username=sender.username,
            update_id=inbound.update_id,
            chat_id=None if inbound.private else inbound.chat_id,
        )
        now = deps.clock.now()
        ahead: Ahead = []
        async with deps.uow() as uow:
            # The same update delivered twice has one effect.
            if not await uow.updates.mark_processed(inbound.update_id, now):
                log.info("update %s already processed", inbound.update_id)
                replies, locale, queued = None, deps.env.default_locale, []
            else:
                if place.touches_user:
                    await uow.users.touch(sender.id, sender.language_code, sender.username, now)
                # An update from the chat shows the bot can write there again: a user who
                # writes has unblocked it, a group that sends it updates has it as a member.
                if await uow.outbox.unblock_chat(inbound.chat_id):
                    log.info("chat %s takes the bot's messages again", inbound.chat_id)
                replies, locale = await place.dialog(inbound.event, ctx, uow, deps)
                queued = await queue_replies(
                    uow.outbox, deps, inbound.chat_id, locale, inbound.update_id, replies
                )
                ahead = await claim_ahead(uow.outbox, deps, queued)
            if rider is not None:
                await rider.ride(uow)
            await uow.commit()
            if rider is not None:
                rider.committed()
        if press is not None and place.alerts:
            await self._answer(press, locale, replies or [])
        if replies is None:
            return
        await send_queued(deps, self.bot, queued, ahead)
        if press is not None and place.retires_keyboard and press.has_keyboard:
            # Every answer carries fresh buttons; old ones would only invite stale presses.
            retire = self.bot.clear_markup(inbound.chat_id, press.message_id or 0)
            await self._tidy(retire, "retiring a keyboard")

    async def _answer(self, press: Press, locale: str, replies: list[Reply]) -> None:
        """Stops the button's spinner; a refused press shows why in an alert as well."""
        refusal = staff.refusal_in(replies)
        if refusal is None:
            await self._tidy(self.bot.answer_callback(press.query_id), "answering a button press")
        else:
            text = alert_text(self.deps, locale, refusal)
            alert = self.bot.answer_callback(press.query_id, text, alert=True)
            await self._tidy(alert, "showing a refusal")

    @staticmethod
    async def _tidy(call: Awaitable[Outcome], what: str) -> None:
        """Awaits a call that only tidies up the chat; its failure is logged, not raised.

        It runs around a dialog step whose outcome is already decided (and, after the commit,
        already recorded with its replies), so its failure must not fail the update: handling
        it again would change nothing, and a step failed after its commit would leave its
        replies waiting for the sender loop instead of sending them now. A keyboard that could
        not be retired is left as it is: a press on it later is answered as a stale button.
        """
        outcome = await call
        if isinstance(outcome, Refused):
            # The query is too old to answer, the keyboard is gone already: nothing to tidy.
            log.debug("%s: %s", what, outcome.reason)
        elif not isinstance(outcome, Sent):
            log.warning("%s failed, left as it is: %s", what, describe(outcome))

    async def _apologise(self, inbound: Inbound, exc: Exception) -> None:
        """Logs the failure and apologises to the user; their saved draft is untouched."""
        log.error("update %s failed", inbound.update_id, exc_info=exc)
        target = apology_target(inbound)
        if target is None:
            return
        user, chat_id = target
        deps = self.deps
        try:
            # Keyed by the update: a turn that fails on every retry apologises once.
            async with deps.uow() as uow:
                # In the language the user chose with /language, as every other answer is.
                locale = await apology_locale(uow, user)
                apology = Reply(key="bot.error.internal").to_payload(locale)
                key = f"error:{inbound.update_id}"
                now = deps.clock.now()
                row = await uow.outbox.add_claimed(
                    chat_id, apology, now, key, deps.worker_id, LEASE
                )
                queued = [] if row is None else [row]
                ahead = await claim_ahead(uow.outbox, deps, queued)
                await uow.commit()
        except Exception:
            log.exception("update %s: the apology could not be queued", inbound.update_id)
            return
        await send_queued(deps, self.bot, queued, ahead)


def alert_text(deps: Deps, locale: str, reply: Reply) -> str:
    """The reply as plain text within Telegram's alert limit (alerts show no HTML)."""
    text = deps.translator.render_plain(locale, reply.key, reply.params)
    return text if len(text) <= ALERT_LIMIT else text[: ALERT_LIMIT - 1] + "…"
