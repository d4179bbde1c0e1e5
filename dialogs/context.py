"""What one dialog turn knows: who is talking, the injected services, and the replies so far."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cases.calendar import WorkingCalendar
from cases.clock import Clock
from cases.lifecycle import Action
from cases.policy import Policy
from cases.ports import UnitOfWork
from cases.workflow import Notifier, Outcome, perform
from dialogs.pending import PendingInput
from dialogs.support import SupportContact
from dialogs.types import Button, Reply

ButtonRows = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class UserCtx:
    """The Telegram user behind an update, as the bot saw it."""

    user_id: int
    language_code: str | None = None
    username: str | None = None
    update_id: int | None = None
    chat_id: int | None = None  # None: the private chat with the user (same id)

    @property
    def chat(self) -> int:
        return self.user_id if self.chat_id is None else self.chat_id


@dataclass(frozen=True)
class DialogEnv:
    """The long-lived services every turn uses; built once by the bot's wiring point."""

    clock: Clock
    policy: Policy
    calendar: WorkingCalendar
    staff_chat_id: int | None = None  # the staff group that hears of cases; None: no group
    default_locale: str = "zh_CN"  # for chats whose language is unknown (the staff group)
    # How long stored updates and sent notifications are kept (INBOX_/OUTBOX_RETENTION_DAYS),
    # as /privacy tells the user.
    inbox_retention_days: int = 7
    outbox_retention_days: int = 30
    # DEEP_LINK_SECRET: complaint links must carry its signature (dialogs/deep_links.py).
    # None accepts the unsigned `complain_<ORDER_NO>`, as the bot warns at start.
    deep_link_secret: bytes | None = None
    # Where the bot sends a buyer who needs a person (SUPPORT_CONTACT); None: nowhere outside.
    support: SupportContact | None = None
    # Queues the messages a case change causes (cases.workflow.perform); None queues nothing.
    notifier: Notifier | None = None
    # Whether screenshots are read (the OCR extra is installed); the staff card says so.
    screen_reading: bool = False


@dataclass
class Turn:
    """One inbound event being answered: read the world through `uow`, answer with `say`."""

    user: UserCtx
    uow: UnitOfWork
    env: DialogEnv
    now: datetime
    replies: list[Reply] = field(default_factory=list)
    submitted_case_no: str | None = None
    # Set for the second and later files of an album, which are acknowledged once, not again.
    quiet: bool = False
    # The free-text answer this user owes a side dialog (see dialogs/pending.py, dialogs/sides.py).
    pending: PendingInput | None = None
    # Set once the user's personal data was removed: the saved session is not written back.
    forget_session: bool = False
    # The language of this turn's replies, settled when the turn starts (dialogs/buyer.py) and
    # changed only by /language: a step that deletes the profile (/deletemydata) must not
    # switch its own confirmation to another language.
    locale: str = "zh_CN"

    @classmethod
    def start(cls, user: UserCtx, uow: UnitOfWork, env: DialogEnv) -> Turn:
        # One instant per update, so every rule in this turn judges the same moment.
        return cls(user=user, uow=uow, env=env, now=env.clock.now(), locale=env.default_locale)

    @property
    def policy(self) -> Policy:
        return self.env.policy

    async def perform(
        self, notifier: Notifier, case_no: str, action: Action, **options: Any
    ) -> Outcome:
        """Takes `action` on the case as this turn's user, in this turn's unit of work."""
        env = self.env
        return await perform(
            self.uow,
            env.clock,
            env.policy,
            env.calendar,
            notifier,
            case_no,
            action,
            self.user.user_id,
            **options,
        )

    def say(self, key: str, buttons: ButtonRows = (), **params: Any) -> None:
        self.replies.append(Reply(key=key, params=params, buttons=buttons))

    def say_params(self, key: str, params: Mapping[str, Any], buttons: ButtonRows = ()) -> None:
        self.replies.append(Reply(key=key, params=dict(params), buttons=buttons))
