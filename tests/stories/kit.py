"""Stories of a case, told by its people over the real bot, with a clock the story moves.

The bot runs as in production (the turn runner on each runtime's adapter, storage on SQLite or, with
TEST_DATABASE=postgres, PostgreSQL, the outbox sender, the deadline worker, the evidence
downloader and the payout worker) over HTTP against the fake Bot API server. The operator sets
it up with the operator's own commands (`complaint-bot orders import`, `staff add`, `merchants
add`); the buyer and the merchant talk to the bot in private, the agent and the arbitrator in
the staff group. Time passes only when the story says so, and then everything that falls due on
the way fires at its moment (`Stories.advance`).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiogram.client.session.aiohttp import AiohttpSession
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import cli
from bot.app import build_bot
from bot.config import Settings
from bot.deadlines import DeadlineWorker
from bot.evidence import EvidenceDownloader
from bot.outbox import OutboxSender
from bot.payouts import PayoutWorker
from bot.platform_gateway import build_gateway
from bot.transport.aiogram_bot import AiogramBot
from bot.turns import TurnRunner
from cases.audit import is_seal, verify_chain
from cases.clock import ManualClock
from cases.model import Case, CaseStatus
from cases.ports import StoredEvidence
from sandbox.botapi import FakeBotAPI, FakeUser, SentMessage
from storage.models import JobRow, OutboxRow
from tests.bot.harness import BotHarness, Person, build_test_deps
from tests.bot.outbox_support import VirtualTime, deliver_all, make_sender
from tests.dbs import fresh_database_url

SHANGHAI = ZoneInfo("Asia/Shanghai")
CASE_NO = re.compile(r"TS\d{8}-[0-9A-HJKMNP-TV-Z]{5}")
BIND_LINK = re.compile(r"https://t\.me/(?P<bot>\w+)\?start=m_(?P<token>[A-Za-z0-9_-]+)")
STAFF_GROUP = -1001234567890
BUYER, MERCHANT, AGENT, ARBITRATOR, OUTSIDER = 1001, 2001, 3001, 3002, 3999
ORDER_NO, MERCHANT_CODE, SHOP = "KM202611250001", "M1001", "星辰卡铺"
DESCRIPTION = "卡密显示已被使用，无法兑换会员，联系商家没有回复。"
PHOTO = b"\xff\xd8\xff\xe0 a screenshot: the card code says it was already redeemed"
# Every loop below is bounded: a story that does not settle fails instead of hanging.
SETTLE_ROUNDS, ADVANCE_STOPS = 50, 500


def shanghai(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A moment on the platform's wall clock (Asia/Shanghai)."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


class StoryTime(VirtualTime):
    """The outbox sender's monotonic clock and sleep, both on the story's clock.

    The sender's rate limiter then sees the days the story skips: a reminder three days after
    the last message to a chat goes out at once, not a second later.
    """

    def monotonic(self) -> float:
        return self.clock.now().timestamp()


@dataclass(frozen=True)
class Heard:
    """One message the bot sent to a persona's chat, as the person reads it."""

    text: str
    message_id: int | None
    buttons: tuple[str, ...]
    data: tuple[str, ...]  # the buttons' callback data, in the same order
    at: datetime  # the story's time when it arrived

    @property
    def when(self) -> str:
        """The platform's wall-clock minute it arrived, e.g. '2026-10-09 00:00'."""
        return self.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


class Persona:
    """A person in the story; each action is one update through the bot."""

    def __init__(self, story: Stories, user_id: int, name: str, *, in_staff_group: bool) -> None:
        self.story = story
        self.id = user_id
        self.name = name
        self.in_staff_group = in_staff_group

    @property
    def fake(self) -> FakeUser:
        user = self.story.api.user(id=self.id, first_name=self.name, language_code="zh-hans")
        if not self.in_staff_group:
            return user
        return user.in_chat(STAFF_GROUP, "supergroup", title="客服群")

    @property
    def chat_id(self) -> int:
        return STAFF_GROUP if self.in_staff_group else self.id

    def _person(self) -> Person:
        return Person(self.story.harness, self.fake)

    async def _act(self, action: Callable[[Person], Awaitable[None]]) -> None:
        await action(self._person())
        self.story.stamp()

    async def send(self, text: str) -> None:
        await self._act(lambda p: p.send(text))

    async def click(self, button: str) -> None:
        """Presses a button (by its label or data) on the latest bot message that shows it."""
        await self._act(lambda p: p.click(button))

    async def photo(self, content: bytes) -> None:
        await self._act(lambda p: p.photo(content))

    async def document(self, content: bytes, name: str, mime_type: str) -> None:
        await self._act(lambda p: p.document(content, name, mime_type))

    async def reply(self, text: str) -> None:
        """Answers the bot's latest message with a reply, as a group member must (privacy mode)."""
        question = self.fake.bot_messages()[-1]["message_id"]
        await self._act(lambda p: p.feed(p.fake.build_text(text, reply_to=question)))

    async def forge(self, data: str) -> None:
        """Sends callback data no button of the bot offered here (a modified client)."""
        fake = self.fake
        query = {
            "id": self.story.api.state.next_callback_query_id(),
            "from": fake.as_user(),
            "message": fake.bot_messages()[-1],
            "chat_instance": "forged",
            "data": data,
        }
        await self._act(lambda p: p.feed({"callback_query": query}))

    def heard(self, since: int = 0) -> list[Heard]:
        """What the bot sent to this persona's chat (the staff group for staff), oldest first."""
        return self.story.heard(self.chat_id)[since:]

    def mark(self) -> int:
        """A position for `heard(since=...)`: only what arrives after now."""
        return len(self.heard())

    @property
    def last(self) -> Heard:
        return self.heard()[-1]


class Stories:
    """One bot (restartable over its database), its operator, its people and its clock."""

    def __init__(
        self, tmp_path: Path, api: FakeBotAPI, env: pytest.MonkeyPatch, settings: dict[str, Any]
    ) -> None:
        self.tmp_path = tmp_path
        self.api = api
        self.env = env
        self.settings = {"staff_chat_id": STAFF_GROUP, **settings}
        self.buyer = Persona(self, BUYER, "李华", in_staff_group=False)
        self.merchant = Persona(self, MERCHANT, "星辰店主", in_staff_group=False)
        self.agent = Persona(self, AGENT, "客服小王", in_staff_group=True)
        self.arbitrator = Persona(self, ARBITRATOR, "仲裁员老周", in_staff_group=True)
        self.outsider = Persona(self, OUTSIDER, "群友", in_staff_group=True)
        self._stamps: dict[int, list[datetime]] = {}
        # What the set-up made the staff group hear and queued (the operator's changes): the
        # story's own messages and rows come after these.
        self._set_up_heard = 0
        self._set_up_rows = 0
        self._harness: BotHarness | None = None
        self._database = contextlib.AsyncExitStack()
        self._database_url = ""
        self.restarts = 0

    # -- the bot process -----------------------------------------------------------------------

    @property
    def harness(self) -> BotHarness:
        assert self._harness is not None, "the bot is not running"
        return self._harness

    @property
    def now(self) -> datetime:
        return self.harness.clock.now()

    async def start(self, now: datetime) -> None:
        """Starts a bot process (new Settings, Deps, Dispatcher, Bot) over the story's database."""
        if not self._database_url:
            database = fresh_database_url(self.tmp_path)
            self._database_url = await self._database.enter_async_context(database)
        config = Settings(
            _env_file=None,
            bot_token=self.api.token,
            telegram_api_url=self.api.base_url,
            database_url=self._database_url,
            evidence_dir=self.tmp_path / "evidence",
            **self.settings,
        )
        clock = ManualClock(now)
        deps = build_test_deps(config, clock)
        bot = build_bot(config)  # the production wiring: API URL, parse mode, runtime
        self._harness = BotHarness(self.api, bot, TurnRunner(deps, bot), deps, clock)
        self._time = StoryTime(clock)
        self._sender: OutboxSender = make_sender(deps, bot, "story", self._time)
        self._workers = (
            EvidenceDownloader(deps, bot, "story").run_once,
            DeadlineWorker(deps, "story").run_once,
            PayoutWorker(deps, build_gateway(config), "story").run_once,
        )

    async def stop(self) -> None:
        """Stops the bot process: its HTTP session and its database connections."""
        if self._harness is None:
            return
        running, self._harness = self._harness, None
        if isinstance(running.bot, AiogramBot):
            session = running.bot.bot.session
            if isinstance(session, AiohttpSession) and session._session is not None:
                # aiogram waits 250 ms after closing for TLS connections to wind down; the fake
                # server speaks plain HTTP, and a story that restarts often would mostly wait.
                await session._session.close()
        await running.bot.close()
        await running.deps.close()

    async def close(self) -> None:
        """Stops the bot and lets the story's database go."""
        await self.stop()
        await self._database.aclose()

    async def restart(self) -> None:
        """Stops the bot and starts a new process over the same database, at the same time."""
        now = self.now
        await self.stop()
        await self.start(now)
        self.restarts += 1

    # -- time ----------------------------------------------------------------------------------

    async def settle(self) -> None:
        """Runs the background loops until nothing is due now: downloads, deadlines, notices."""
        for _ in range(SETTLE_ROUNDS):
            worked = 0
            for run_once in self._workers:
                worked += await run_once()
            await deliver_all(self._sender, self.harness.deps.engine, self._time)
            self.stamp()
            if worked == 0:
                return
        raise AssertionError("the bot's loops never went idle")

    async def advance(self, delta: timedelta) -> None:
        """Moves the clock by `delta`, firing every job at its own moment on the way."""
        await self.advance_to(self.now + delta)

    async def advance_to(self, moment: datetime) -> None:
        for _ in range(ADVANCE_STOPS):
            await self.settle()
            due = await self._next_job_after(self.now)
            if due is None or due > moment:
                break
            self.harness.clock.set(due)
        else:
            raise AssertionError(f"more than {ADVANCE_STOPS} stops before {moment}")
        if self.now < moment:
            self.harness.clock.set(moment)
            await self.settle()

    async def _next_job_after(self, now: datetime) -> datetime | None:
        async with AsyncSession(self.harness.deps.engine) as session:
            query = select(func.min(JobRow.due_at)).where(
                JobRow.done_at.is_(None), JobRow.due_at > now
            )
            return (await session.execute(query)).scalar()

    # -- what people received ------------------------------------------------------------------

    def stamp(self) -> None:
        """Notes the story's time for every message that arrived since the last look."""
        for chat_id in (BUYER, MERCHANT, STAFF_GROUP):
            stamps = self._stamps.setdefault(chat_id, [])
            count = len(self._sent(chat_id))
            stamps.extend([self.now] * (count - len(stamps)))

    def heard(self, chat_id: int) -> list[Heard]:
        sent = self._sent(chat_id)
        stamps = self._stamps.get(chat_id, [])
        heard = [
            Heard(m.plain_text, m.message_id, tuple(m.buttons), tuple(m.callback_data), at)
            for m, at in zip(sent, stamps, strict=False)
        ]
        return heard[self._set_up_heard:] if chat_id == STAFF_GROUP else heard

    def alerts(self) -> list[str]:
        """The pop-up answers to button presses (refusals), oldest first."""
        calls = self.api.calls("answerCallbackQuery")
        return [str(call.params["text"]) for call in calls if call.params.get("text")]

    def _sent(self, chat_id: int) -> list[SentMessage]:
        return [m for m in self.api.sent_messages(chat_id) if m.method == "sendMessage"]

    # -- the case, as stored ---------------------------------------------------------------------

    async def case(self, case_no: str) -> Case:
        async with self.harness.deps.uow() as uow:
            case = await uow.cases.get(case_no)
        assert case is not None, case_no
        return case

    async def status(self, case_no: str) -> CaseStatus:
        return (await self.case(case_no)).status

    async def history(self, case_no: str) -> list[str]:
        """The case's steps, oldest first, after checking the hash chain links them all.

        Seals (a file downloaded) are left out, as in the timelines: they are not steps."""
        async with self.harness.deps.uow() as uow:
            events = await uow.events.list(case_no)
        assert verify_chain(events) is None, "the case history no longer verifies"
        return [event.action for event in events if not is_seal(event)]

    async def evidence(self, case_no: str) -> list[StoredEvidence]:
        async with self.harness.deps.uow() as uow:
            return list(await uow.evidence.list(case_no))

    async def outbox(self, *, replies: bool = False) -> list[OutboxRow]:
        """The notifications queued so far; with `replies`, the replies to updates as well (they
        are outbox rows too, keyed `reply:…`)."""
        query = select(OutboxRow).where(OutboxRow.id > self._set_up_rows).order_by(OutboxRow.id)
        if not replies:
            query = query.where(or_(OutboxRow.key.is_(None), ~OutboxRow.key.startswith("reply:")))
        async with AsyncSession(self.harness.deps.engine) as session:
            return list((await session.execute(query)).scalars())

    # -- the operator --------------------------------------------------------------------------

    async def operator(self, *argv: str) -> str:
        """Runs `complaint-bot ARGV` as the operator would, against the story's bot and database.

        The command is the real CLI entry point (its own event loop, so its own thread); it must
        succeed, and its printed output is returned.
        """
        self.env.setenv("DATABASE_URL", self._database_url)
        self.env.setenv("BOT_TOKEN", self.api.token)
        self.env.setenv("TELEGRAM_API_URL", self.api.base_url)
        self.env.setenv("DEFAULT_LOCALE", "zh_CN")
        self.env.setenv("STAFF_CHAT_ID", str(STAFF_GROUP))
        # The command lives on the story's time too: a notice it queues for the staff chat is
        # due at the story's now, not at the machine's (which the story's clock would jump to).
        clock = self.harness.clock
        for module in ("bot.cli", "bot.cli_accounts"):
            self.env.setattr(f"{module}.SystemClock", lambda: clock)
        out, err = io.StringIO(), io.StringIO()

        def run() -> int:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                return cli.main(list(argv))

        code = await asyncio.to_thread(run)
        assert code == 0, f"complaint-bot {' '.join(argv)} exited {code}: {err.getvalue()}"
        return out.getvalue()

    async def set_up(self, paid_at: datetime) -> None:
        """The operator imports the order, names the staff and links the merchant's account."""
        orders = self.tmp_path / "orders.csv"
        paid = paid_at.astimezone(SHANGHAI)
        orders.write_text(
            "order_no,buyer_account,merchant_code,product,category,amount,currency,paid_at,"
            "delivered_at,status\n"
            f"{ORDER_NO},lihua_88,{MERCHANT_CODE},腾讯视频 VIP 月卡 卡密,card_code,100.00,CNY,"
            f"{paid.isoformat()},{(paid + timedelta(minutes=1)).isoformat()},delivered\n",
            encoding="utf-8",
        )
        await self.operator("orders", "import", str(orders))
        await self.operator("staff", "add", str(AGENT), "--role", "agent")
        await self.operator("staff", "add", str(ARBITRATOR), "--role", "arbitrator")
        printed = await self.operator("merchants", "add", MERCHANT_CODE, "--name", SHOP)
        link = BIND_LINK.search(printed)
        assert link, printed
        assert link["bot"] == self.api.bot_user["username"]
        await self.merchant.send(f"/start m_{link['token']}")
        assert SHOP in self.merchant.last.text, self.merchant.last.text
        # The staff group hears whom the operator named; the story starts after that.
        await self.settle()
        named = [heard.text for heard in self.heard(STAFF_GROUP)]
        assert [str(AGENT) in text and "客服" in text for text in named] == [True, False], named
        self._set_up_heard = len(named)
        self._set_up_rows = max((row.id for row in await self.outbox(replies=True)), default=0)

    async def audit_verify(self) -> str:
        """`complaint-bot audit verify`: every case's hash chain re-computed; must pass."""
        return await self.operator("audit", "verify")

    # -- the usual first step ------------------------------------------------------------------

    async def file_complaint(self, description: str = DESCRIPTION) -> str:
        """The buyer files a complaint about the order, with a photo, asking for a full refund."""
        buyer = self.buyer
        await buyer.send(f"/complain {ORDER_NO}")
        await buyer.send("lihua_88")
        await buyer.click("f:reason:card_invalid")
        await buyer.send(description)
        await buyer.photo(PHOTO)
        await buyer.click("f:done")
        await buyer.click("f:refund:full")
        await buyer.click("f:method:original")
        await buyer.click("f:submit")
        found = CASE_NO.search(buyer.last.text)
        assert found, [h.text for h in buyer.heard()[-3:]]
        await self.settle()
        return found.group(0)


StoryFactory = Callable[..., Awaitable[Stories]]
