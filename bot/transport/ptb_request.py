"""python-telegram-bot's HTTP layer, keeping what Telegram answered to a refused call.

PTB turns an error answer into an exception that has lost part of it: "Bad Request: file is too
big" becomes "File is too big" (the prefix cut, the rest re-capitalised), 404 becomes
InvalidToken and 413 a bare NetworkError. The adapter needs Telegram's own words (they are what
the operator reads, and the evidence downloader looks for "file is too big" in them) and the
status (404 and 413 are refusals, not network trouble). This request keeps both beside the call,
for the adapter to read when PTB's exception reaches it.
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from telegram.request import BaseRequest, HTTPXRequest, RequestData

# Timeouts as aiogram's session has them (60 s for a call), so both runtimes give a slow Bot API
# the same patience; a call that sets its own (sendMessage, getUpdates) overrides them.
CALL_TIMEOUT = 60.0
# Concurrent turns and outbox sends share one pool; as many connections as aiogram's default.
POOL_SIZE = 100


@dataclass(frozen=True, slots=True)
class Answer:
    """Telegram's answer to a call that failed: the HTTP status and its description as sent."""

    status: int
    description: str | None


# Set in the task that makes the call (PTB awaits do_request in it), so concurrent calls of
# other tasks never see each other's answer.
_last_answer: ContextVar[Answer | None] = ContextVar("ptb_last_answer", default=None)


def last_answer() -> Answer | None:
    """The error answer of the latest call made in this task; None after a success or when the
    call never got an answer (a timeout, a dropped connection)."""
    return _last_answer.get()


def _description(payload: bytes) -> str | None:
    try:
        body: Any = json.loads(payload)
    except ValueError:
        return None
    if isinstance(body, dict) and isinstance(body.get("description"), str):
        return str(body["description"])
    return None


class AnswerKeepingRequest(HTTPXRequest):
    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        _last_answer.set(None)
        code, payload = await super().do_request(
            url,
            method,
            request_data=request_data,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
        )
        if not 200 <= code <= 299:
            _last_answer.set(Answer(code, _description(payload)))
        return code, payload


def build_request(read_timeout: float = CALL_TIMEOUT) -> AnswerKeepingRequest:
    # httpx logs every request's URL at INFO, and a Bot API URL holds the bot's token: the
    # operator's log (LOG_LEVEL=INFO) would show it for every call.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return AnswerKeepingRequest(
        connection_pool_size=POOL_SIZE,
        read_timeout=read_timeout,
        write_timeout=CALL_TIMEOUT,
        connect_timeout=CALL_TIMEOUT,
        pool_timeout=CALL_TIMEOUT,
        media_write_timeout=CALL_TIMEOUT,
    )
