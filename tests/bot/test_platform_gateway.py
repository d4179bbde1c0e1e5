"""The refund adapters: the http one against a local fake platform, the manual one, the factory."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr, ValidationError

from bot.config import Settings
from bot.platform_gateway import (
    HttpGateway,
    ManualGateway,
    build_gateway,
    encode_body,
    sign,
)
from cases.clock import ManualClock
from cases.model import RefundMethod
from cases.refunds import RefundRequest, RefundResult, RefundStatus
from tests.fakes.platform import FakePlatform

pytestmark = pytest.mark.backend_independent

SECRET = "test-secret-0123456789abcdef"
DOC = Path(__file__).resolve().parents[2] / "docs" / "platform-refund-api.md"


def refund(case_no: str = "TS20261126-7K3Q9", **changes: object) -> RefundRequest:
    fields: dict[str, object] = {
        "case_no": case_no,
        "order_no": "KM202611260001",
        "amount": 3000,
        "currency": "CNY",
        "method": RefundMethod.ORIGINAL,
        "buyer_account": "buyer@example.com",
    }
    fields.update(changes)
    return RefundRequest(**fields)  # type: ignore[arg-type]


class Sleeps:
    """Records the waits between attempts instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 26, 2, 0, tzinfo=UTC))


@pytest.fixture
async def platform(clock: ManualClock) -> AsyncIterator[FakePlatform]:
    async with FakePlatform(SECRET, clock) as fake:
        yield fake


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def gateway(platform: FakePlatform, clock: ManualClock, sleeps: Sleeps) -> HttpGateway:
    return HttpGateway(platform.url, SecretStr(SECRET), sleep=sleeps, clock=clock)


@pytest.fixture
def impatient(platform: FakePlatform, clock: ManualClock, sleeps: Sleeps) -> HttpGateway:
    """A gateway that waits 0.1 s for an answer, so timeouts stay fast."""
    return HttpGateway(platform.url, SecretStr(SECRET), timeout=0.1, sleep=sleeps, clock=clock)


async def test_a_refund_is_posted_signed_with_the_case_number_as_idempotency_key(
    gateway: HttpGateway, platform: FakePlatform, clock: ManualClock
) -> None:
    result = await gateway.request_refund(refund())

    assert result == RefundResult.accepted("RF000001")
    [request] = platform.received
    assert request.verified
    assert request.headers["Idempotency-Key"] == "TS20261126-7K3Q9"
    assert request.headers["X-Timestamp"] == str(int(clock.now().timestamp()))
    assert request.json == {
        "case_no": "TS20261126-7K3Q9",
        "order_no": "KM202611260001",
        "amount": 3000,
        "currency": "CNY",
        "method": "original",
        "buyer_account": "buyer@example.com",
    }


async def test_a_platform_that_pays_at_once_answers_paid_with_its_reference(
    clock: ManualClock, sleeps: Sleeps
) -> None:
    async with FakePlatform(SECRET, clock, pays_at_once=True) as platform:
        gateway = HttpGateway(platform.url, SecretStr(SECRET), sleep=sleeps, clock=clock)
        result = await gateway.request_refund(refund(method=RefundMethod.BALANCE))
    assert result == RefundResult.paid("RF000001")
    assert platform.received[0].json["method"] == "balance"


async def test_the_signature_covers_the_exact_body_and_the_timestamp(
    gateway: HttpGateway, platform: FakePlatform
) -> None:
    await gateway.request_refund(refund())
    original = platform.received[0]
    signed = {name: original.headers[name] for name in ("X-Signature", "X-Timestamp")}
    tampered_body = original.body.replace(b'"amount":3000', b'"amount":300000')
    later = {**signed, "X-Timestamp": str(int(signed["X-Timestamp"]) + 1)}

    async with aiohttp.ClientSession() as session:
        for headers, body in ((signed, tampered_body), (later, original.body)):
            headers = {**headers, "Idempotency-Key": "TS20261126-7K3Q9"}
            async with session.post(platform.url, data=body, headers=headers) as response:
                assert response.status == 401
                assert (await response.json())["code"] == "bad_signature"
    assert [r.verified for r in platform.received] == [True, False, False]
    assert len(platform.refunds) == 1


async def test_a_signature_from_a_stale_clock_is_refused_as_a_replay(
    platform: FakePlatform, clock: ManualClock, sleeps: Sleeps
) -> None:
    behind = ManualClock(clock.now() - timedelta(minutes=6))
    gateway = HttpGateway(platform.url, SecretStr(SECRET), sleep=sleeps, clock=behind)

    result = await gateway.request_refund(refund())

    assert result.status is RefundStatus.REJECTED
    assert result.code == "stale_timestamp"
    assert platform.refunds == {}


async def test_a_wrong_secret_is_rejected_at_once_not_retried(
    platform: FakePlatform, clock: ManualClock, sleeps: Sleeps
) -> None:
    wrong = SecretStr("another-secret-0123456789")
    gateway = HttpGateway(platform.url, wrong, sleep=sleeps, clock=clock)

    result = await gateway.request_refund(refund())

    assert result.status is RefundStatus.REJECTED
    assert result.code == "bad_signature"
    assert len(platform.received) == 1
    assert sleeps.delays == []


async def test_server_errors_are_retried_with_backoff_until_the_platform_accepts(
    gateway: HttpGateway, platform: FakePlatform, sleeps: Sleeps
) -> None:
    platform.answer_next(500, {"message": "database is restarting"}, times=2)

    result = await gateway.request_refund(refund())

    assert result == RefundResult.accepted("RF000001")
    assert sleeps.delays == [0.5, 1.0]
    assert len(platform.verified) == 3
    assert {r.body for r in platform.received} == {platform.received[0].body}
    assert {r.headers["Idempotency-Key"] for r in platform.received} == {"TS20261126-7K3Q9"}


async def test_after_the_attempt_bound_it_gives_up_with_retry_for_the_job_system(
    gateway: HttpGateway, platform: FakePlatform, sleeps: Sleeps
) -> None:
    platform.answer_next(503, {"message": "维护中"}, times=5)

    result = await gateway.request_refund(refund())

    assert result == RefundResult.retry("HTTP 503: 维护中")
    assert result.should_retry
    assert len(platform.received) == 3
    assert sleeps.delays == [0.5, 1.0]


async def test_a_late_answer_is_a_timeout_and_the_repeat_is_not_paid_twice(
    impatient: HttpGateway, platform: FakePlatform
) -> None:
    platform.answer_late(1.0)  # the platform takes the refund but answers after we stopped waiting

    result = await impatient.request_refund(refund())

    assert result == RefundResult.accepted("RF000001", duplicate=True)
    assert len(platform.received) == 2
    assert len(platform.refunds) == 1


async def test_timeouts_on_every_attempt_end_in_retry(
    impatient: HttpGateway, platform: FakePlatform, sleeps: Sleeps
) -> None:
    platform.answer_late(1.0, times=3)

    result = await impatient.request_refund(refund())

    assert result == RefundResult.retry("timeout")
    assert len(platform.received) == 3
    assert sleeps.delays == [0.5, 1.0]


async def test_an_unreachable_platform_is_a_retry(clock: ManualClock, sleeps: Sleeps) -> None:
    async with FakePlatform(SECRET, clock) as gone:
        url = gone.url  # nothing listens on this port once the fake is closed
    gateway = HttpGateway(url, SecretStr(SECRET), sleep=sleeps, clock=clock)

    result = await gateway.request_refund(refund())

    assert result.status is RefundStatus.RETRY
    assert result.reason is not None
    assert result.reason.startswith("network error")
    assert len(sleeps.delays) == 2


async def test_a_second_request_for_the_same_case_returns_the_original_result(
    gateway: HttpGateway, platform: FakePlatform
) -> None:
    first = await gateway.request_refund(refund())
    second = await gateway.request_refund(refund())

    assert first == RefundResult.accepted("RF000001")
    assert second == RefundResult.accepted("RF000001", duplicate=True)
    assert len(platform.refunds) == 1


async def test_a_conflict_answer_with_the_original_paid_result_is_paid(
    gateway: HttpGateway, platform: FakePlatform
) -> None:
    platform.answer_next(409, {"status": "paid", "reference": "RF777"})
    assert await gateway.request_refund(refund()) == RefundResult.paid("RF777", duplicate=True)


async def test_a_refusal_is_rejected_with_the_platforms_message_and_not_retried(
    gateway: HttpGateway, platform: FakePlatform, sleeps: Sleeps
) -> None:
    platform.answer_next(400, {"code": "order_not_found", "message": "订单不存在"})

    result = await gateway.request_refund(refund())

    assert result == RefundResult.rejected("订单不存在", code="order_not_found")
    assert not result.should_retry
    assert len(platform.received) == 1
    assert sleeps.delays == []


async def test_a_refusal_without_a_message_names_the_status(
    gateway: HttpGateway, platform: FakePlatform
) -> None:
    platform.answer_next(422, "")
    assert await gateway.request_refund(refund()) == RefundResult.rejected("HTTP 422")


async def test_a_rate_limit_waits_as_long_as_the_platform_asks(
    gateway: HttpGateway, platform: FakePlatform, sleeps: Sleeps
) -> None:
    platform.answer_next(429, {"message": "slow down"}, headers={"Retry-After": "2"})

    assert await gateway.request_refund(refund()) == RefundResult.accepted("RF000001")
    assert sleeps.delays == [2.0]


async def test_a_long_retry_after_is_left_to_the_job_system(
    gateway: HttpGateway, platform: FakePlatform, sleeps: Sleeps
) -> None:
    platform.answer_next(503, "down for maintenance", headers={"Retry-After": "600"})

    result = await gateway.request_refund(refund())

    assert result == RefundResult.retry(
        "HTTP 503: down for maintenance", retry_after=timedelta(minutes=10)
    )
    assert sleeps.delays == []


async def test_a_success_without_a_readable_result_is_asked_again(
    gateway: HttpGateway, platform: FakePlatform
) -> None:
    platform.answer_next(200, "OK")
    assert await gateway.request_refund(refund()) == RefundResult.accepted("RF000001")
    assert len(platform.received) == 2


async def test_the_manual_gateway_sends_nothing_and_leaves_the_payout_to_staff(
    platform: FakePlatform,
) -> None:
    result = await ManualGateway().request_refund(refund())
    assert result == RefundResult.manual()
    assert platform.received == []


def test_the_documented_signature_example_is_what_the_bot_computes() -> None:
    doc = DOC.read_text(encoding="utf-8")
    example = refund(buyer_account=None)
    body = encode_body(example)
    signature = sign(b"whsec_0123456789abcdef", "1795658400", body)
    assert body.decode() in doc
    assert signature in doc
    assert re.search(r"1795658400\.", doc)


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name in ("PLATFORM_GATEWAY", "PLATFORM_REFUND_URL", "PLATFORM_SECRET"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings(_env_file=None)  # type: ignore[call-arg]


def test_the_manual_gateway_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(monkeypatch)
    assert settings.platform_gateway == "manual"
    assert isinstance(build_gateway(settings), ManualGateway)


def test_the_http_gateway_is_built_without_showing_its_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = _settings(
        monkeypatch,
        PLATFORM_GATEWAY="http",
        PLATFORM_REFUND_URL="https://pay.example.com/api/v1/refunds",
        PLATFORM_SECRET=SECRET,
    )
    gateway = build_gateway(settings)
    assert isinstance(gateway, HttpGateway)
    assert SECRET not in repr(gateway)
    assert SECRET not in repr(settings)


@pytest.mark.parametrize(
    "env",
    [
        {"PLATFORM_GATEWAY": "http"},
        {"PLATFORM_GATEWAY": "http", "PLATFORM_REFUND_URL": "https://pay.example.com/r"},
        {"PLATFORM_GATEWAY": "http", "PLATFORM_SECRET": SECRET},
        {
            "PLATFORM_GATEWAY": "http",
            "PLATFORM_REFUND_URL": "https://pay.example.com/r",
            "PLATFORM_SECRET": "short",
        },
        {"PLATFORM_REFUND_URL": "ftp://pay.example.com/r"},
        {"PLATFORM_GATEWAY": "alipay"},
    ],
)
def test_an_incomplete_or_unknown_gateway_setting_is_refused(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    with pytest.raises(ValidationError):
        _settings(monkeypatch, **env)
