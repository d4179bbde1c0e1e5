"""A fake card platform refund API on 127.0.0.1, as docs/platform-refund-api.md describes it.

It checks every request the way the platform must (its own HMAC code, not the bot's, so a bug in
the bot's signing cannot hide), records what arrived, keeps refunds by idempotency key, and can
be told to answer the next requests with a given status, late, or not readably.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from types import TracebackType
from typing import Any, Self

from aiohttp import web
from aiohttp.web_runner import AppRunner, TCPSite

from cases.clock import Clock

PATH = "/api/v1/refunds"
TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True)
class Received:
    """One request as it arrived, and whether its signature and timestamp passed."""

    headers: dict[str, str]
    body: bytes
    verdict: str  # "ok", or the error code the platform answered with

    @property
    def verified(self) -> bool:
        return self.verdict == "ok"

    @property
    def json(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.body)
        return value


@dataclass
class _Plan:
    status: int | None = None  # None: process the request normally
    body: dict[str, Any] | str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # answer this late, after processing; longer than the client waits = timeout


class FakePlatform:
    def __init__(self, secret: str, clock: Clock, *, pays_at_once: bool = False) -> None:
        self.secret = secret.encode("utf-8")
        self.clock = clock
        self.pays_at_once = pays_at_once
        self.received: list[Received] = []
        self.refunds: dict[str, dict[str, Any]] = {}  # idempotency key → the original answer
        self._plans: deque[_Plan] = deque()
        self._closed = asyncio.Event()
        self._runner: AppRunner | None = None
        self._port: int | None = None

    # -- telling it what to do ---------------------------------------------------------------

    def answer_next(
        self,
        status: int,
        body: dict[str, Any] | str | None = None,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answers the next `times` verified requests with this status and body, storing nothing."""
        for _ in range(times):
            self._plans.append(_Plan(status=status, body=body, headers=dict(headers or {})))

    def answer_late(self, seconds: float, *, times: int = 1) -> None:
        """Processes the next `times` verified requests at once but answers only after `seconds`."""
        for _ in range(times):
            self._plans.append(_Plan(delay=seconds))

    @property
    def verified(self) -> list[Received]:
        return [request for request in self.received if request.verified]

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(PATH, self._serve)
        self._runner = AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        self._closed.set()  # releases late answers still waiting
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def url(self) -> str:
        if self._port is None:
            raise RuntimeError("FakePlatform is not started")
        return f"http://127.0.0.1:{self._port}{PATH}"

    # -- the endpoint ------------------------------------------------------------------------

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        verdict = self._verify(request.headers, body)
        self.received.append(Received(dict(request.headers), body, verdict))
        if verdict != "ok":
            return _json(401, {"code": verdict, "message": "request not authenticated"})
        plan = self._plans.popleft() if self._plans else _Plan()
        if plan.status is not None:
            if isinstance(plan.body, str):
                return web.Response(status=plan.status, text=plan.body, headers=plan.headers)
            return _json(plan.status, plan.body or {}, plan.headers)
        answer = self._process(request.headers["Idempotency-Key"], body)
        if plan.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), plan.delay)
        return answer

    def _verify(self, headers: Any, body: bytes) -> str:
        timestamp = headers.get("X-Timestamp", "")
        expected = hmac.new(self.secret, timestamp.encode() + b"." + body, hashlib.sha256)
        signature = f"sha256={expected.hexdigest()}"
        if not hmac.compare_digest(headers.get("X-Signature", ""), signature):
            return "bad_signature"
        if not timestamp.isdigit():
            return "bad_timestamp"
        age = abs(self.clock.now().timestamp() - int(timestamp))
        return "stale_timestamp" if age > TOLERANCE.total_seconds() else "ok"

    def _process(self, key: str, body: bytes) -> web.Response:
        if key in self.refunds:
            return _json(409, self.refunds[key])
        refund = json.loads(body)
        if refund.get("case_no") != key:
            return _json(400, {"code": "key_mismatch", "message": "Idempotency-Key is not case_no"})
        answer = {
            "status": "paid" if self.pays_at_once else "accepted",
            "reference": f"RF{len(self.refunds) + 1:06d}",
        }
        self.refunds[key] = answer
        return _json(201, answer)


def _json(
    status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(payload, status=status, headers=headers)
