"""Adapters of the PlatformGateway port: staff pay by hand, or the platform's signed refund API.

The HTTP contract is written down for the platform's developers in docs/platform-refund-api.md;
change both together.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any

import aiohttp
from pydantic import SecretStr

from bot.backoff import Backoff
from bot.config import Settings
from cases.clock import Clock, SystemClock
from cases.refunds import PlatformGateway, RefundRequest, RefundResult, RefundStatus

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
USER_AGENT = "complaint-bot/refunds-v1"

# A platform message longer than this is cut: it ends up in a staff alert, not in a log dump.
_MAX_REASON = 500
# Statuses that say "not now" rather than "no": the same request may well succeed later.
_TEMPORARY = frozenset({408, 425, 429})

Sleep = Callable[[float], Awaitable[None]]
SessionFactory = Callable[[], aiohttp.ClientSession]


class ManualGateway:
    """Sends nothing: staff pay the refund on the platform and confirm the payout with a button."""

    async def request_refund(self, request: RefundRequest) -> RefundResult:
        return RefundResult.manual()


def encode_body(request: RefundRequest) -> bytes:
    """The JSON body, built once per request so every attempt signs and sends the same bytes."""
    payload = {
        "case_no": request.case_no,
        "order_no": request.order_no,
        "amount": request.amount,
        "currency": request.currency,
        "method": request.method.value,
        "buyer_account": request.buyer_account,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """Returns the X-Signature value: HMAC-SHA256 over `<timestamp>.<raw body bytes>`."""
    digest = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


class HttpGateway:
    """POSTs each refund to the platform, signed, and retries briefly on temporary failures.

    One call makes at most `attempts` requests, waiting `backoff`, 2×`backoff`, … between them
    (or what the platform's Retry-After asks, up to `max_wait`); after that the result is
    `retry` and the job system calls again later. Repeats are safe: the case number is the
    idempotency key, and the platform answers a repeat with the original result.
    `session_factory` returns a new aiohttp session for each call; the gateway closes it.
    """

    def __init__(
        self,
        url: str,
        secret: SecretStr,
        *,
        timeout: float = 10.0,
        attempts: int = 3,
        backoff: float = 0.5,
        max_wait: float = 5.0,
        session_factory: SessionFactory | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock | None = None,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self._url = url
        self._key = secret.get_secret_value().encode("utf-8")
        self._timeout = timeout
        self._attempts = attempts
        self._backoff = Backoff(timedelta(seconds=backoff))
        self._max_wait = max_wait
        self._session_factory = session_factory or self._new_session
        self._sleep = sleep
        self._clock = clock or SystemClock()

    def __repr__(self) -> str:
        return f"HttpGateway({self._url!r})"

    async def request_refund(self, request: RefundRequest) -> RefundResult:
        body = encode_body(request)
        # One session per call: refunds are rare, and nothing is left open between job runs.
        async with self._session_factory() as session:
            attempt = 1
            while True:
                result = await self._attempt(session, request, body)
                if not result.should_retry or attempt == self._attempts:
                    break
                delay = self._backoff.seconds(attempt)
                if result.retry_after is not None:
                    asked = result.retry_after.total_seconds()
                    if asked > self._max_wait:
                        break  # waiting that long belongs to the job system, not to this call
                    delay = max(delay, asked)
                log.warning(
                    "refund %s: attempt %s failed (%s); again in %.1f s",
                    request.case_no, attempt, result.reason, delay,
                )
                await self._sleep(delay)
                attempt += 1
        log.info("refund %s: %s after %s attempt(s)", request.case_no, result.status, attempt)
        return result

    async def _attempt(
        self, session: aiohttp.ClientSession, request: RefundRequest, body: bytes
    ) -> RefundResult:
        # A fresh timestamp per attempt: the platform refuses old ones, which stops replays.
        timestamp = str(int(self._clock.now().timestamp()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            IDEMPOTENCY_HEADER: request.idempotency_key,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self._key, timestamp, body),
        }
        try:
            # No redirects: a redirected POST may be replayed as a GET, or to another host.
            async with session.post(
                self._url, data=body, headers=headers, allow_redirects=False
            ) as response:
                raw = await response.read()
                return interpret_response(response.status, raw, response.headers)
        except TimeoutError:
            return RefundResult.retry("timeout")
        except aiohttp.ClientError as exc:
            return RefundResult.retry(f"network error: {type(exc).__name__}")

    def _new_session(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout))


def interpret_response(status: int, raw: bytes, headers: Mapping[str, str]) -> RefundResult:
    """Maps the platform's answer onto a RefundResult, as docs/platform-refund-api.md says."""
    payload = _json_object(raw)
    if 200 <= status < 300:
        taken = _taken(payload, duplicate=False)
        # A success we cannot read is retried: the idempotency key makes the repeat harmless.
        return taken or RefundResult.retry(f"HTTP {status} without a readable result")
    if status == 409:
        # The platform already has this case's refund; its original result is the answer.
        return _taken(payload, duplicate=True) or RefundResult.accepted(None, duplicate=True)
    message = _message(payload, raw)
    if status in _TEMPORARY or status >= 500:
        reason = f"HTTP {status}: {message}" if message else f"HTTP {status}"
        return RefundResult.retry(reason, retry_after=_retry_after(headers))
    code = payload.get("code") if payload else None
    return RefundResult.rejected(
        message or f"HTTP {status}", code=code if isinstance(code, str) else None
    )


def _taken(payload: dict[str, Any] | None, *, duplicate: bool) -> RefundResult | None:
    if payload is None:
        return None
    reference = payload.get("reference")
    reference = reference if isinstance(reference, str) and reference else None
    match payload.get("status"):
        case RefundStatus.PAID.value:
            return RefundResult.paid(reference, duplicate=duplicate)
        case RefundStatus.ACCEPTED.value:
            return RefundResult.accepted(reference, duplicate=duplicate)
        case _:
            return None


def _message(payload: dict[str, Any] | None, raw: bytes) -> str:
    """The platform's `message`, or the text of a body that is not JSON (a proxy's error page)."""
    if payload is None:
        message: object = raw.decode("utf-8", errors="replace")
    else:
        message = payload.get("message")
    return message.strip()[:_MAX_REASON] if isinstance(message, str) else ""


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _retry_after(headers: Mapping[str, str]) -> timedelta | None:
    """Reads Retry-After in seconds; the HTTP-date form is rare enough to fall back to backoff."""
    value = headers.get("Retry-After", "").strip()
    return timedelta(seconds=int(value)) if value.isdigit() else None


def build_gateway(settings: Settings, *, clock: Clock | None = None) -> PlatformGateway:
    """Returns the gateway PLATFORM_GATEWAY names (Settings has checked that http is complete)."""
    if settings.platform_gateway == "manual":
        return ManualGateway()
    if settings.platform_refund_url is None or settings.platform_secret is None:
        raise ValueError("PLATFORM_GATEWAY=http needs PLATFORM_REFUND_URL and PLATFORM_SECRET")
    return HttpGateway(settings.platform_refund_url, settings.platform_secret, clock=clock)
