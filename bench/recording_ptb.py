"""A python-telegram-bot request that answers in process: bench/recording.py's stand-in for
Telegram, for the ptb runtime.

PTB encodes each call's parameters as it would for HTTP (`json_parameters`), and parses the
JSON answer and builds its objects from it as after a real request; only the network is gone.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from telegram.request import BaseRequest, RequestData

from bench.recording import InProcessTelegram


class RecordingRequest(InProcessTelegram, BaseRequest):
    """Records (method, params) and answers without HTTP; getUpdates long polls `deliver`ed ones."""

    def __init__(self) -> None:
        InProcessTelegram.__init__(self)

    @property
    def read_timeout(self) -> float | None:
        return 60.0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

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
        parts = urlsplit(url)
        # The query string is how the bot's raw getUpdates sends its parameters.
        params: dict[str, Any] = {k: _json_or_text(v) for k, v in parse_qsl(parts.query)}
        if request_data is not None:
            request_data.json_parameters  # noqa: B018 (the encoding HTTP would pay for)
            params.update(request_data.parameters)
        if "/file/" in parts.path:
            return 200, b""
        name = parts.path.rsplit("/", 1)[-1]
        result = await self.answer(name, params)
        return 200, json.dumps({"ok": True, "result": result}).encode()


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value
