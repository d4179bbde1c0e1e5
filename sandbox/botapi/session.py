"""aiogram's HTTP session, minus the TLS shutdown pause the fake server does not need."""

from __future__ import annotations

from aiogram.client.session.aiohttp import AiohttpSession


class LocalAiohttpSession(AiohttpSession):
    """AiohttpSession for plain-HTTP 127.0.0.1: closes at once.

    aiogram's close() sleeps 250 ms so TLS connections can finish shutting down; there is no
    TLS to the fake server, and that pause would add a quarter second to every bot test.
    """

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
