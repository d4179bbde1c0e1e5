"""Every way a download can fail is retried with the job's backoff; none ends the download loop."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any, cast

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError, TelegramServerError
from aiogram.methods import GetFile
from aiogram.types import File
from multidict import CIMultiDict, CIMultiDictProxy
from sqlalchemy import select
from yarl import URL

from bot.evidence import EvidenceDownloader, backoff
from bot.transport.aiogram_bot import AiogramBot
from cases.model import EvidenceStatus
from sandbox.botapi import FakeBotAPI
from storage.models import JobRow
from tests.bot.harness import BotHarness, bot_harness
from tests.bot.test_filing_through_dispatcher import NOW, PHOTO, file_complaint, order


@pytest.fixture
async def harness(tmp_path: Path, fake_api: FakeBotAPI):  # type: ignore[no-untyped-def]
    async with bot_harness(tmp_path, fake_api, NOW) as running:
        await running.add_orders(order(), order("KM202611250002"))
        yield running


def _response_error() -> aiohttp.ClientResponseError:
    url = URL("http://127.0.0.1/file/bot123:ABC/photos/1.jpg")
    info = aiohttp.RequestInfo(url, "GET", CIMultiDictProxy(CIMultiDict()), url)
    return aiohttp.ClientResponseError(info, (), status=502, message="Bad Gateway")


# Each a download in real life has raised: aiohttp's own errors are neither OSError nor
# Telegram's, and the last one stands for a bug no one foresaw.
DOWNLOAD_ERRORS: dict[str, Callable[[], BaseException]] = {
    "ClientResponseError": _response_error,
    "ServerDisconnectedError": lambda: aiohttp.ServerDisconnectedError(),
    "ClientPayloadError": lambda: aiohttp.ClientPayloadError("Response payload is not completed"),
    "ClientConnectorError": lambda: aiohttp.ClientOSError(104, "Connection reset by peer"),
    "TimeoutError": lambda: TimeoutError(),
    "TelegramNetworkError": lambda: TelegramNetworkError(GetFile(file_id="x"), "timeout"),
    "TelegramServerError": lambda: TelegramServerError(GetFile(file_id="x"), "Bad Gateway"),
    "unexpected": lambda: RuntimeError("a bug in the download"),
}


class FailingDownloads:
    """The harness's aiogram Bot, except that the next downloads raise the given errors (under
    the production adapter, which must turn each into a failure the loop retries)."""

    def __init__(self, bot: Bot, errors: list[BaseException]) -> None:
        self.bot = bot
        self.errors = errors

    async def get_file(self, file_id: str) -> File:
        return await self.bot.get_file(file_id)

    async def download_file(self, file_path: str, destination: io.BytesIO) -> Any:
        if self.errors:
            raise self.errors.pop(0)
        return await self.bot.download_file(file_path, destination=destination)


async def _download_jobs(harness: BotHarness) -> list[JobRow]:
    async with harness.deps.engine.connect() as connection:
        rows = await connection.execute(
            select(JobRow.__table__).where(JobRow.kind == "download_evidence").order_by(JobRow.id)
        )
        return cast(list[JobRow], rows.all())


async def _statuses(harness: BotHarness, *case_nos: str) -> list[EvidenceStatus]:
    async with harness.deps.uow() as uow:
        return [item.status for case_no in case_nos for item in await uow.evidence.list(case_no)]


async def test_every_kind_of_download_error_is_retried_after_the_jobs_backoff(
    harness: BotHarness,
) -> None:
    # One filed file fails once with each error in turn (a complaint is costly to file).
    case_no = await file_complaint(harness.user())
    for attempt, (name, make_error) in enumerate(DOWNLOAD_ERRORS.items(), start=1):
        bot = AiogramBot(cast(Bot, FailingDownloads(harness.bot.bot, [make_error()])))
        downloader = EvidenceDownloader(harness.deps, bot, "test-worker")
        assert await downloader.run_once() == 1, name
        assert await _statuses(harness, case_no) == [EvidenceStatus.RECEIVED], name
        [job] = await _download_jobs(harness)
        assert (job.attempts, job.done_at) == (attempt, None), name
        assert job.due_at.replace(tzinfo=UTC) == harness.clock.now() + backoff(attempt), name
        assert job.last_error, name
        harness.clock.advance(backoff(attempt))

    assert await harness.download_evidence() == 1
    assert await _statuses(harness, case_no) == [EvidenceStatus.STORED]


async def test_a_job_that_fails_unexpectedly_leaves_the_other_claimed_jobs_running(
    harness: BotHarness,
) -> None:
    buyer = harness.user()
    first = await file_complaint(buyer)
    second = await file_complaint(buyer, "KM202611250002")
    failing = FailingDownloads(harness.bot.bot, [DOWNLOAD_ERRORS["unexpected"]()])
    downloader = EvidenceDownloader(harness.deps, AiogramBot(cast(Bot, failing)), "test-worker")

    assert await downloader.run_once() == 2
    assert await _statuses(harness, first, second) == [
        EvidenceStatus.RECEIVED,
        EvidenceStatus.STORED,
    ]


async def test_http_errors_dropped_connections_and_cut_off_files_from_telegram_are_retried(
    harness: BotHarness,
) -> None:
    case_no = await file_complaint(harness.user())
    harness.api.fail_next_download(502)
    # Twice: aiohttp itself tries a dropped keep-alive connection once more.
    harness.api.disconnect_next_download(times=2)
    harness.api.cut_next_download()
    errors = []
    for _ in range(6):
        assert await harness.download_evidence() == 1
        [job] = await _download_jobs(harness)
        if job.done_at is not None:
            break
        errors.append(job.last_error.split(":", 1)[0])
        harness.clock.advance(timedelta(hours=1))
    assert set(errors) == {"ClientResponseError", "ServerDisconnectedError", "ClientPayloadError"}
    assert await _statuses(harness, case_no) == [EvidenceStatus.STORED]
    async with harness.deps.uow() as uow:
        [evidence] = await uow.evidence.list(case_no)
    assert evidence.stored_path is not None
    assert await asyncio.to_thread(Path(evidence.stored_path).read_bytes) == PHOTO
