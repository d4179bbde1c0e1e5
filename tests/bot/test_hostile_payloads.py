"""Updates built to be costly to read — reply chains nested 300 deep, rich text nested
until pydantic's validation goes exponential (aiogram issue #1842), 1,000 entities, a megabyte
of text — cost at most 10 ms more than an ordinary update to handle or to refuse, through the
webhook and through long polling.

CPU time is this process's (all its threads: the database driver's too), the least of several
tries, against the same update without what makes it costly: a loaded machine slows both alike.
Before the bounds, the rich text took seconds and the others tens to thousands of milliseconds.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.inbox import InboxWorker
from bot.intake import SECRET_HEADER, PollingIntake, build_webhook_app
from bot.update_bounds import MAX_DEPTH
from sandbox.botapi import FakeBotAPI, FakeUser
from storage.models import InboxRow
from tests.bot.harness import BotHarness, bot_harness
from tests.bot.outbox_support import VirtualTime, deliver_all, make_sender

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
SECRET = "s3cret-token_0123456789"
PATH = "/tg/hook"
BUDGET_MS = 10.0

Client = TestClient[web.Request, web.Application]


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI) -> AsyncIterator[BotHarness]:
    async with bot_harness(tmp_path, fake_api, NOW) as running:
        yield running


@pytest.fixture
def inbox(harness: BotHarness) -> InboxWorker:
    return InboxWorker(harness.deps, harness.turns, "w1")


@pytest.fixture
async def client(harness: BotHarness, inbox: InboxWorker) -> AsyncIterator[Client]:
    app = build_webhook_app(harness.deps, inbox, PATH, SECRET)
    async with TestClient(TestServer(app)) as running:
        yield running


def reply_chain(buyer: FakeUser, levels: int) -> dict[str, Any]:
    quoted: dict[str, Any] | None = None
    for _ in range(levels):
        message = buyer.build_text("你好")["message"]
        quoted = {**message, "reply_to_message": quoted} if quoted else message
    assert quoted is not None
    return quoted


def rich_text(levels: int) -> Any:
    return "付款后没收到" if levels == 0 else {"type": "bold", "text": rich_text(levels - 1)}


def made_costly(kind: str, buyer: FakeUser) -> Callable[[dict[str, Any]], None]:
    """How `kind` turns an ordinary text message into a costly one."""

    def costly(message: dict[str, Any]) -> None:
        if kind == "reply chain":
            message["reply_to_message"] = reply_chain(buyer, 300)
        elif kind == "rich text":
            paragraph = {"type": "paragraph", "text": rich_text(5)}
            message["rich_message"] = {"blocks": [paragraph]}
        elif kind == "entities":
            # The same text as the ordinary update: a longer one would cost the dialog more.
            message["entities"] = [
                {"type": "bold", "offset": n % 2, "length": 1} for n in range(1_000)
            ]
        elif kind == "a megabyte of text":
            # A megabyte as the webhook reads it (aiohttp refuses bodies past 1 MiB itself).
            message["text"] = "not delivered. " * 66_000
        else:
            raise ValueError(kind)

    return costly


def encoded(update: dict[str, Any]) -> bytes:
    """The body Telegram posts (made before the clock starts: it is Telegram's work)."""
    return json.dumps(update, ensure_ascii=False).encode()


def least_cpu_ms(runs: list[float]) -> float:
    return min(runs) * 1000


async def cpu_of(step: Callable[[], Awaitable[object]]) -> float:
    started = time.process_time()
    await step()
    return time.process_time() - started


async def deliver(harness: BotHarness) -> None:
    clock = VirtualTime(harness.clock)
    sender = make_sender(harness.deps, harness.bot, "w2", clock)
    await deliver_all(sender, harness.deps.engine, clock)


async def inbox_row(harness: BotHarness, update_id: int) -> Any:
    async with harness.deps.engine.connect() as connection:
        query = select(InboxRow.__table__).where(InboxRow.update_id == update_id)
        return (await connection.execute(query)).one()


async def texts_after(harness: BotHarness, buyer: FakeUser, mark: int) -> list[str]:
    await deliver(harness)
    sent = harness.api.sent_messages(buyer.chat_id)[mark:]
    return [message.plain_text for message in sent if message.method == "sendMessage"]


REFUSED = {"a megabyte of text"}  # past the bounds; the rest are read without their costly part
KINDS = ["reply chain", "rich text", "entities", "a megabyte of text"]


@pytest.mark.parametrize("kind", KINDS)
async def test_a_costly_update_through_the_webhook_costs_at_most_10_ms_more(
    harness: BotHarness, client: Client, inbox: InboxWorker, kind: str
) -> None:
    buyer = harness.api.user(id=2001, language_code="en")
    costly = made_costly(kind, buyer)

    async def post(body: bytes) -> None:
        headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
        response = await client.post(PATH, data=io.BytesIO(body), headers=headers)
        assert response.status == 200
        await inbox.run_until_idle()

    await post(encoded(buyer.build_text("你好")))  # warms every path an ordinary update takes
    plain, hostile = [], []
    plain_answers: list[str] = []
    for _ in range(5):  # the least of five: a loaded machine's noise only ever adds
        mark = len(harness.api.sent_messages(buyer.chat_id))
        body = encoded(buyer.build_text("你好"))
        plain.append(await cpu_of(lambda body=body: post(body)))  # type: ignore[misc]
        plain_answers = await texts_after(harness, buyer, mark)
        update = buyer.build_text("你好")
        costly(update["message"])
        mark = len(harness.api.sent_messages(buyer.chat_id))
        body = encoded(update)
        hostile.append(await cpu_of(lambda body=body: post(body)))  # type: ignore[misc]
        answers = await texts_after(harness, buyer, mark)
        row = await inbox_row(harness, update["update_id"])
        assert row.done_at is not None  # handled once, never to be tried again
        if kind in REFUSED:
            assert row.last_error.startswith("refused unread")
            assert answers == [harness.deps.translator.render("en", "bot.error.unreadable")]
        else:
            assert row.last_error is None
            assert answers == plain_answers  # read as the same message without the extras
    assert least_cpu_ms(hostile) <= least_cpu_ms(plain) + BUDGET_MS, (plain, hostile)


async def test_a_costly_update_over_long_polling_is_bounded_before_it_is_read(
    harness: BotHarness, inbox: InboxWorker
) -> None:
    buyer = harness.api.user(id=2001, language_code="en")
    intake = PollingIntake(harness.deps, harness.bot, inbox, ["message"], timeout=0)
    costly = made_costly("rich text", buyer)

    async def poll(update: dict[str, Any]) -> None:
        await harness.api.queue_update(update)
        assert await intake.poll_once() == 1
        await inbox.run_until_idle()

    await poll(buyer.build_text("你好"))
    plain, hostile = [], []
    for _ in range(3):
        plain.append(await cpu_of(lambda: poll(buyer.build_text("你好"))))
        update = buyer.build_text("你好")
        costly(update["message"])
        hostile.append(await cpu_of(lambda update=update: poll(update)))  # type: ignore[misc]
        row = await inbox_row(harness, update["update_id"])
        assert row.done_at is not None
        assert "rich_message" not in row.payload["message"]
    assert least_cpu_ms(hostile) <= least_cpu_ms(plain) + BUDGET_MS, (plain, hostile)


async def test_an_update_nested_past_the_bound_is_refused_once_and_its_sender_told_once(
    harness: BotHarness, client: Client, inbox: InboxWorker
) -> None:
    buyer = harness.api.user(id=2001, language_code="zh-hans")
    update = buyer.build_text("你好")
    nested: Any = "底"
    for _ in range(MAX_DEPTH + 1):
        nested = [nested]
    update["message"]["link_preview_options"] = {"url": nested}
    for _ in range(2):  # Telegram delivers again what it is not sure arrived
        response = await client.post(PATH, json=update, headers={SECRET_HEADER: SECRET})
        assert response.status == 200
    assert await inbox.run_until_idle() == 0  # nothing left to handle: refused as it came
    row = await inbox_row(harness, update["update_id"])
    assert row.last_error == f"refused unread: nested deeper than {MAX_DEPTH}"
    assert row.payload["message"]["chat"]["id"] == buyer.chat_id
    assert "link_preview_options" not in row.payload["message"]
    assert await texts_after(harness, buyer, 0) == [
        harness.deps.translator.render("zh_CN", "bot.error.unreadable")
    ]


async def test_an_update_nested_past_what_json_parses_is_refused_as_malformed(
    harness: BotHarness, client: Client
) -> None:
    body = '{"update_id": 1, "message": ' + "[" * 100_000 + "]" * 100_000 + "}"
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    response = await client.post(PATH, data=body, headers=headers)
    assert response.status == 400


async def test_a_body_past_the_webhook_s_size_limit_is_refused_unread_and_not_asked_again(
    harness: BotHarness, client: Client
) -> None:
    buyer = harness.api.user(id=2001, language_code="en")
    update = buyer.build_text("买" * 400_000)  # 1.2 MB as UTF-8
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    response = await client.post(PATH, data=io.BytesIO(encoded(update)), headers=headers)
    assert response.status == 200  # anything else makes Telegram send it again
    async with harness.deps.uow() as uow:
        assert await uow.inbox.backlog() == 0
