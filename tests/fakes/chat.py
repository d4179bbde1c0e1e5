"""Drive the buyer dialog like a user: `await chat.send("/complain")`, `chat.click(...)`.

Each event runs the way the bot runs it: one unit of work, `buyer.handle` (the replies and
their language), commit. Every reply is then checked the way Telegram and the renderer would
check it: the key and every button label render in both locales with the given parameters (so a
missing text or parameter fails the test that produced it), callback data fits in 64 bytes, and
parameters are plain values with timezone-aware datetimes.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from cases.calendar import WorkingCalendar
from cases.clock import ManualClock
from cases.model import EvidenceFile, EvidenceKind, Order, OrderStatus
from cases.policy import MIB, Policy
from dialogs import buyer
from dialogs.context import DialogEnv, UserCtx
from dialogs.types import Button, ButtonIn, CommandIn, Event, FileIn, OtherIn, Reply, TextIn
from locales import LOCALES, Translator
from tests.fakes.uow import FakeStore, FakeUnitOfWork

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Thursday morning in Shanghai; the review deadline 3 working days on is Tuesday 1 December.
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)
USED_KEYS: set[str] = set()
_update_ids = itertools.count(1)


@cache
def translator() -> Translator:
    return Translator(SHANGHAI)


def make_env(clock: ManualClock | None = None, policy: Policy | None = None) -> DialogEnv:
    return DialogEnv(
        clock=clock or ManualClock(NOW),
        policy=policy or Policy(),
        calendar=WorkingCalendar(SHANGHAI),
    )


def make_order(
    order_no: str = "A1001",
    *,
    buyer_account: str = "Buyer_One",
    paid_at: datetime = NOW - timedelta(hours=14),
    delivered_at: datetime | None = NOW - timedelta(hours=13),
    status: OrderStatus = OrderStatus.DELIVERED,
    category: str = "game_card",
    amount: int = 3000,
    product: str = "王者荣耀 点券 300",
) -> Order:
    return Order(
        order_no=order_no,
        buyer_account=buyer_account,
        merchant_code="M01",
        product=product,
        category=category,
        amount=amount,
        currency="CNY",
        paid_at=paid_at,
        delivered_at=delivered_at,
        status=status,
    )


def photo(n: int = 1, size: int = 200_000) -> EvidenceFile:
    return EvidenceFile(EvidenceKind.PHOTO, f"photo-{n}", f"uniq-photo-{n}", None, size)


def document(
    name: str = "payment.pdf", mime: str | None = "application/pdf", size: int = 100_000, n: int = 1
) -> EvidenceFile:
    return EvidenceFile(EvidenceKind.DOCUMENT, f"doc-{n}", f"uniq-doc-{n}", mime, size, name)


def video(n: int = 1, size: int = 5 * MIB) -> EvidenceFile:
    return EvidenceFile(EvidenceKind.VIDEO, f"video-{n}", f"uniq-video-{n}", "video/mp4", size)


def parse_text(text: str) -> Event:
    """Turns typed text into an event the way bot/events.py does."""
    stripped = text.strip()
    if stripped.startswith("/") and len(stripped) > 1:
        head, _, args = stripped.partition(" ")
        name = head[1:].split("@", 1)[0].lower()
        if name and all(ch.isalnum() or ch == "_" for ch in name):
            return CommandIn(name=name, args=args.strip())
    return TextIn(text=text)


class Answer(list[Reply]):
    """The replies to one event, with helpers to read them."""

    locale: str = "zh_CN"

    @property
    def keys(self) -> list[str]:
        return [reply.key for reply in self]

    @property
    def key(self) -> str:
        """The key of the last reply: usually the question the dialog asks next."""
        return self[-1].key

    def one(self, key: str) -> Reply:
        found = [reply for reply in self if reply.key == key]
        assert len(found) == 1, f"expected one {key!r} in {self.keys}"
        return found[0]

    def params(self, key: str) -> Mapping[str, Any]:
        return self.one(key).params

    @property
    def buttons(self) -> list[str]:
        return [button.data for reply in self for row in reply.buttons for button in row]

    def text(self, locale: str = "zh_CN") -> str:
        return "\n\n".join(translator().render(locale, r.key, r.params) for r in self)


class Chat:
    """One buyer's private chat with the bot, over a store that outlives the chat object."""

    def __init__(
        self,
        store: FakeStore,
        env: DialogEnv,
        user_id: int = 1001,
        language_code: str | None = "zh-hans",
    ) -> None:
        self.store = store
        self.env = env
        self.user_id = user_id
        self.language_code = language_code
        self.history: list[Answer] = []

    def restart(self) -> Chat:
        """The same user after the bot process restarted: nothing survives but the store."""
        return Chat(self.store, self.env, self.user_id, self.language_code)

    async def send(self, text: str) -> Answer:
        return await self.deliver(parse_text(text))

    async def click(self, data: str) -> Answer:
        return await self.deliver(ButtonIn(data))

    async def upload(
        self, file: EvidenceFile, media_group_id: str | None = None, caption: str | None = None
    ) -> Answer:
        return await self.deliver(FileIn(file, media_group_id, caption))

    async def other(self, kind: str = "sticker") -> Answer:
        return await self.deliver(OtherIn(kind))

    async def deliver(self, event: Event, update_id: int | None = None) -> Answer:
        ctx = UserCtx(
            user_id=self.user_id,
            language_code=self.language_code,
            username=f"user{self.user_id}",
            update_id=next(_update_ids) if update_id is None else update_id,
        )
        async with FakeUnitOfWork(self.store) as uow:
            await uow.users.touch(ctx.user_id, ctx.language_code, ctx.username, NOW)
            answered = await buyer.handle(event, ctx, uow, self.env)
            await uow.commit()
        answer = Answer(answered.replies)
        answer.locale = answered.locale
        for reply in answer:
            check_reply(reply)
        self.history.append(answer)
        return answer


def check_reply(reply: Reply) -> None:
    """Fails unless the reply renders in every locale and would be accepted by Telegram."""
    USED_KEYS.add(reply.key)
    for value in reply.params.values():
        _check_plain(value)
    for locale in LOCALES:
        assert translator().render(locale, reply.key, reply.params).strip()
    for row in reply.buttons:
        assert row, f"{reply.key} has an empty button row"
        for button in row:
            _check_button(button)


def _check_button(button: Button) -> None:
    USED_KEYS.add(button.label)
    assert 0 < len(button.data.encode("utf-8")) <= 64, button.data
    for locale in LOCALES:
        assert translator().render(locale, button.label, button.params).strip()


def _check_plain(value: object) -> None:
    if isinstance(value, datetime):
        assert value.utcoffset() is not None, f"naive datetime {value}"
    elif isinstance(value, list | tuple):
        for item in value:
            _check_plain(item)
    elif isinstance(value, dict):
        for item in value.values():
            _check_plain(item)
    else:
        assert value is None or isinstance(value, str | int | date), repr(value)

