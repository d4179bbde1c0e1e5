"""The sandbox's chats reach their file soon after each change, whole, without a clean stop."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sandbox.botapi.state import BotState
from sandbox.keeper import ChatsKeeper

BOT = {"id": 7000000001, "is_bot": True, "first_name": "bot"}
CHAT = 7100000001


def message(n: int) -> dict[str, Any]:
    return {"message_id": n, "date": 0, "chat": {"id": CHAT, "type": "private"}, "text": f"#{n}"}


def kept_texts(path: Path) -> list[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    return [m.get("text", "") for m in data["messages"]]


async def until(condition: Callable[[], bool], within: float = 5.0) -> None:
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110  (a file on disk has no event to await)
            await asyncio.sleep(0.02)


async def test_a_change_is_in_the_file_soon_while_the_sandbox_still_runs(tmp_path: Path) -> None:
    state = BotState(BOT)
    path = tmp_path / "chats.json"
    keeper = ChatsKeeper(state, path, delay=0.05)
    keeper.start()
    try:
        state.store_message(message(1))
        await until(lambda: kept_texts(path) == ["#1"])
        state.remove_message(CHAT, 1)
        await until(lambda: kept_texts(path) == [])
    finally:
        await keeper.close()
    assert not path.with_suffix(".tmp").exists()  # renamed into place, nothing half-written


async def test_a_burst_of_changes_is_written_once(tmp_path: Path) -> None:
    state = BotState(BOT)
    path = tmp_path / "chats.json"
    keeper = ChatsKeeper(state, path, delay=0.05)
    keeper.start()
    try:
        for n in range(1, 51):
            state.store_message(message(n))
        await until(lambda: len(kept_texts(path)) == 50)
    finally:
        await keeper.close()
    assert keeper.writes == 1


async def test_a_failed_write_is_logged_and_tried_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = BotState(BOT)
    folder = tmp_path / "not-yet"
    path = folder / "chats.json"
    keeper = ChatsKeeper(state, path, delay=0.01, retry=0.05)
    keeper.start()
    try:
        with caplog.at_level(logging.ERROR, logger="sandbox.keeper"):
            state.store_message(message(1))
            await until(lambda: "could not be written" in caplog.text)
        folder.mkdir()
        await until(lambda: kept_texts(path) == ["#1"])
    finally:
        await keeper.close()
