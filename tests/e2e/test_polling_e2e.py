"""The real bot process, long polling the fake Bot API server over HTTP on loopback."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.transport.runtimes import Runtime
from cases.model import Order, OrderStatus
from sandbox.botapi import FakeBotAPI, FakeUser
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.uow import SqlUnitOfWork
from tests.processes import STARTUP_TIMEOUT, bot_env, python_process

pytestmark = [pytest.mark.e2e, pytest.mark.every_runtime]

CASE_NO = re.compile(r"TS\d{8}-[0-9A-HJKMNP-TV-Z]{5}")
ORDER_NO = "KM202611260007"
PHOTO = b"\x89PNG\r\n\x1a\n a screenshot of the unused card code"
STEP_TIMEOUT = 10.0


async def seed_order(database_url: str) -> None:
    """Puts one paid order into the bot's database, paid two hours ago."""
    await upgrade(database_url)
    engine = make_engine(database_url)
    paid = datetime.now(UTC) - timedelta(hours=2)
    try:
        async with SqlUnitOfWork(make_session_factory(engine)) as uow:
            await uow.orders.upsert(
                Order(
                    order_no=ORDER_NO,
                    buyer_account="wangfang2020",
                    merchant_code="M1002",
                    product="腾讯视频 VIP 月卡 卡密",
                    category="card_code",
                    amount=2500,
                    currency="CNY",
                    paid_at=paid,
                    delivered_at=paid + timedelta(minutes=1),
                    status=OrderStatus.DELIVERED,
                )
            )
            await uow.commit()
    finally:
        await engine.dispose()


@pytest.fixture
async def running_bot(
    tmp_path: Path, fake_api: FakeBotAPI, fresh_db_url: str, bot_runtime: Runtime
) -> AsyncIterator[Path]:
    """Starts `python -m bot run` on `bot_runtime` against the fake server; yields the evidence
    directory."""
    await seed_order(fresh_db_url)
    env = bot_env(fake_api, bot_runtime, fresh_db_url, tmp_path, POLLING_TIMEOUT="1")
    log_path = tmp_path / "bot.log"
    async with python_process("-m", "bot", "run", cwd=tmp_path, env=env, log_path=log_path):
        await fake_api.wait_for_poll(timeout=STARTUP_TIMEOUT)
        yield tmp_path / "evidence"
    output = log_path.read_text(errors="replace")
    assert "Traceback" not in output, output
    assert f"runtime {bot_runtime} " in output
    assert fake_api.token not in output  # no request URL (it holds the token) is logged


async def act(api: FakeBotAPI, user: FakeUser, action: object, expect: str) -> str:
    """Performs a user action and waits for the bot's message that contains `expect`."""
    mark = api.mark()
    await action  # type: ignore[misc]

    def answered(call: object) -> bool:
        params = getattr(call, "params", {})
        return (
            getattr(call, "method", "") == "sendMessage"
            and params.get("chat_id") == user.chat_id
            and expect in str(params.get("text", ""))
        )

    call = await api.wait_for(answered, timeout=STEP_TIMEOUT, after=mark)
    return str(call.params["text"])


# A phrase of each prompt in each language: the test waits for the prompt that contains it.
ZH_PROMPTS = {
    "account": "平台账号", "reason": "请选择投诉原因", "describe": "请用文字描述",
    "files": "上传证据", "received": "已收到第 1 个文件", "refund": "本订单最多可退",
    "method": "退款退到哪里", "summary": "请核对投诉信息", "done": "投诉已提交",
}
EN_PROMPTS = {
    "account": "platform account name", "reason": "what went wrong", "describe": "Describe",
    "files": "Evidence", "received": "Got file 1", "refund": "Order amount",
    "method": "refund go", "summary": "check your complaint", "done": "has been filed",
}


@pytest.mark.parametrize(
    ("language_code", "words"), [("zh-hans", ZH_PROMPTS), ("en", EN_PROMPTS)], ids=["zh", "en"]
)
async def test_a_buyer_files_a_complaint_with_a_photo_over_long_polling(
    fake_api: FakeBotAPI, running_bot: Path, language_code: str, words: dict[str, str]
) -> None:
    buyer = fake_api.user(id=5005, first_name="Buyer", language_code=language_code)
    await act(fake_api, buyer, buyer.send_command("complain", ORDER_NO), words["account"])
    await act(fake_api, buyer, buyer.send_text("WangFang2020"), words["reason"])
    await act(fake_api, buyer, buyer.click("f:reason:card_invalid"), words["describe"])
    await act(
        fake_api, buyer, buyer.send_text("卡密显示已被使用，无法兑换会员。Card says used."),
        words["files"],
    )
    await act(fake_api, buyer, buyer.send_photo(PHOTO), words["received"])
    await act(fake_api, buyer, buyer.click("f:done"), words["refund"])
    await act(fake_api, buyer, buyer.click("f:refund:full"), words["method"])
    await act(fake_api, buyer, buyer.click("f:method:original"), words["summary"])
    final = await act(fake_api, buyer, buyer.click("f:submit"), words["done"])
    assert CASE_NO.search(final), final

    digest = hashlib.sha256(PHOTO).hexdigest()
    stored = running_bot / digest[:2] / digest
    for _ in range(100):  # the download runs in the background: up to 10 s
        if stored.is_file():
            break
        await asyncio.sleep(0.1)
    assert stored.read_bytes() == PHOTO
