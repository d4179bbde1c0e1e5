"""A lifecycle world wired to the real CaseNotifier, and a reader for the outbox rows it queues.

Every row is read back through `Reply.from_payload`, as the bot's sender will read it, and can be
rendered with the real Translator in any locale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from cases.lifecycle import Action
from cases.policy import Policy
from dialogs.notices import CaseNotifier
from dialogs.types import Reply
from locales import LOCALES, Translator
from tests.fakes.lifecycle import (
    ADMIN,
    AGENT,
    ARBITRATOR,
    BUYER,
    CALENDAR,
    MERCHANT_USER,
    SHANGHAI,
    World,
)
from tests.fakes.uow import FakeUnitOfWork, OutboxRow

STAFF_CHAT = -100_500
AUDIENCE_OF = {BUYER: "buyer", MERCHANT_USER: "merchant", STAFF_CHAT: "staff"}
USER_OF = {
    "buyer": BUYER,
    "merchant": MERCHANT_USER,
    "agent": AGENT,
    "arbitrator": ARBITRATOR,
    "admin": ADMIN,
    "system": None,
}


@cache
def translator() -> Translator:
    return Translator(SHANGHAI)


@dataclass(frozen=True)
class Sent:
    """One queued message, as the test reads it."""

    audience: str
    chat_id: int
    locale: str
    key: str
    reply: Reply
    outbox_key: str | None
    due_at: datetime
    payload: dict[str, Any]  # the row as stored, JSON-ready

    @property
    def button_data(self) -> list[list[str]]:
        return [[button.data for button in row] for row in self.reply.buttons]

    @property
    def button_prefixes(self) -> list[list[str]]:
        """Callback data without the case number: what the button does."""
        return [[data.rsplit(":", 1)[0] + ":" for data in row] for row in self.button_data]

    def render(self, locale: str | None = None) -> str:
        """Renders the text and every button label, as the sender will; returns the text."""
        chosen = locale or self.locale
        text = translator().render(chosen, self.reply.key, self.reply.params)
        for row in self.reply.buttons:
            for button in row:
                assert translator().render(chosen, button.label, button.params).strip()
        return text


def read(row: OutboxRow) -> Sent:
    reply = Reply.from_payload(row.payload)
    return Sent(
        audience=AUDIENCE_OF.get(row.chat_id, str(row.chat_id)),
        chat_id=row.chat_id,
        locale=str(row.payload["locale"]),
        key=reply.key,
        reply=reply,
        outbox_key=row.key,
        due_at=row.due_at,
        payload=row.payload,
    )


class NoticeWorld(World):
    """The lifecycle test world, with the real notifier and reminder in place of the recorders."""

    def __init__(
        self,
        policy: Policy | None = None,
        *,
        staff_chat: int | None = STAFF_CHAT,
        default_locale: str = "zh_CN",
        manual_payout: bool = True,
    ) -> None:
        super().__init__(policy)
        self.notices = CaseNotifier(
            staff_chat,
            default_locale,
            policy=self.policy,
            calendar=CALENDAR,
            clock=self.clock,
            manual_payout=manual_payout,
        )
        self.notifier = self.notices  # type: ignore[assignment]
        self.reminder = self.notices.remind  # type: ignore[assignment]
        self._seen = 0

    async def file(self) -> str:
        """Files the case and queues its first notice, as the filing service will."""
        case_no = await super().file()
        async with FakeUnitOfWork(self.store) as uow:
            await self.notices.notify_submitted(uow, self.case)
            await uow.commit()
        return case_no

    async def step(self, action: Action, who: str, **kwargs: Any) -> None:
        """Takes one action as a named party; a system timeout waits for its deadline first."""
        if who == "system" and self.case.next_deadline_at is not None:
            self.clock.set(max(self.clock.now(), self.case.next_deadline_at))
        await self.act(action, USER_OF[who], **kwargs)

    def all_sent(self) -> list[Sent]:
        return [read(row) for row in self.store.outbox if _is_notice(row)]

    def new_sent(self) -> list[Sent]:
        """Returns what was queued since the last call."""
        rows = self.store.outbox[self._seen :]
        self._seen = len(self.store.outbox)
        return [read(row) for row in rows if _is_notice(row)]

    def mark(self) -> None:
        self._seen = len(self.store.outbox)


def _is_notice(row: OutboxRow) -> bool:
    """The satisfaction question after a closing notice is a message of its own, with its own
    texts (locales/rating.*.toml), tested through the bot (tests/bot/test_ratings_through_bot.py).
    """
    return not (row.key or "").startswith("rate:")


def by_audience(sent: Sequence[Sent]) -> dict[str, Sent]:
    """Maps each audience to its one message; fails if an audience got two for one step."""
    found: dict[str, Sent] = {}
    for item in sent:
        assert item.audience not in found, f"two messages to {item.audience}: {sent}"
        found[item.audience] = item
    return found


def render_everywhere(sent: Sequence[Sent]) -> None:
    """Renders each message in its own locale and in every other one."""
    for item in sent:
        for locale in LOCALES:
            assert item.render(locale).strip(), (item.key, locale)
