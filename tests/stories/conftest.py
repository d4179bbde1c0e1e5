"""The `story` fixture: a running bot, set up by its operator, for one story (see kit.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.transport.runtimes import Runtime
from sandbox.botapi import FakeBotAPI
from tests.stories.kit import Stories, StoryFactory


@pytest.fixture
async def story(
    tmp_path: Path, fake_api: FakeBotAPI, monkeypatch: pytest.MonkeyPatch, bot_runtime: Runtime
) -> AsyncIterator[StoryFactory]:
    """`s = await story(now, **settings)`: a running bot on `bot_runtime`, set up by its
    operator, at `now`."""
    opened: list[Stories] = []
    # The operator's commands run on the same runtime (`merchants add` asks getMe).
    monkeypatch.setenv("BOT_RUNTIME", bot_runtime)

    async def begin(now: datetime, **settings: Any) -> Stories:
        told = Stories(tmp_path, fake_api, monkeypatch, {"bot_runtime": bot_runtime, **settings})
        opened.append(told)
        await told.start(now)
        await told.set_up(paid_at=now - timedelta(hours=20))
        await told.settle()
        return told

    yield begin
    for told in opened:
        await told.close()
