"""`complaint-bot staff list|remove`: who holds a role, and taking one away (never the last
admin's). Run in process, like an operator's command but without a new interpreter each."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import Console
from bot.config import Settings
from dialogs.types import decode_params
from storage.db import make_engine
from storage.models import OutboxRow
from tests.bot.test_cli_merchants import database_url, in_process

pytestmark = pytest.mark.backend_independent

ADMIN = 424_242
AGENT = 515_151


async def _staff(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *args: str) -> int:
    return await in_process(monkeypatch, tmp_path, {"BOT_TOKEN": ""}, "staff", *args)


async def test_the_list_shows_each_member_and_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await _staff(monkeypatch, tmp_path, "list") == 0
    assert "No staff yet" in capsys.readouterr().out
    await _staff(monkeypatch, tmp_path, "add", str(AGENT), "--role", "agent")
    await _staff(monkeypatch, tmp_path, "add", str(ADMIN), "--role", "admin")
    capsys.readouterr()
    assert await _staff(monkeypatch, tmp_path, "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["Staff (2):", f"{ADMIN}  an admin", f"{AGENT}  a support agent"]


async def test_removing_takes_the_role_away(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await _staff(monkeypatch, tmp_path, "add", str(ADMIN), "--role", "admin")
    await _staff(monkeypatch, tmp_path, "add", str(AGENT), "--role", "agent")
    assert await _staff(monkeypatch, tmp_path, "remove", str(AGENT)) == 0
    assert f"{AGENT} is no longer a support agent" in capsys.readouterr().out
    assert await _staff(monkeypatch, tmp_path, "remove", str(AGENT)) == 1
    assert "has no staff role" in capsys.readouterr().err
    await _staff(monkeypatch, tmp_path, "list")
    assert str(AGENT) not in capsys.readouterr().out


async def test_the_last_admin_is_not_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await _staff(monkeypatch, tmp_path, "add", str(ADMIN), "--role", "admin")
    assert await _staff(monkeypatch, tmp_path, "remove", str(ADMIN)) == 1
    assert "last admin" in capsys.readouterr().err
    await _staff(monkeypatch, tmp_path, "add", str(AGENT), "--role", "admin")
    assert await _staff(monkeypatch, tmp_path, "remove", str(ADMIN)) == 0
    await _staff(monkeypatch, tmp_path, "list")
    assert capsys.readouterr().out.splitlines()[-1] == f"{AGENT}  an admin"


async def test_removing_an_admin_from_admin_ids_warns_they_come_back_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ADMIN_IDS", f"{ADMIN},{AGENT}")
    await _staff(monkeypatch, tmp_path, "add", str(ADMIN), "--role", "admin")
    await _staff(monkeypatch, tmp_path, "add", str(AGENT), "--role", "admin")
    capsys.readouterr()
    assert await _staff(monkeypatch, tmp_path, "remove", str(AGENT)) == 0
    assert "ADMIN_IDS still lists" in capsys.readouterr().err


STAFF_CHAT = -100_777


async def staff_chat_notices(tmp_path: Path) -> list[str]:
    """The staff chat's queued notices, rendered as the bot would send them."""
    engine = make_engine(database_url(tmp_path))
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(select(OutboxRow).order_by(OutboxRow.id))
            payloads = [row.payload for row in rows if row.chat_id == STAFF_CHAT]
    finally:
        await engine.dispose()
    translator = Console(Settings(_env_file=None)).translator  # type: ignore[call-arg]
    return [translator.render(p["locale"], p["key"], decode_params(p["params"])) for p in payloads]


async def test_the_staff_chat_hears_of_roles_the_operator_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"BOT_TOKEN": "", "STAFF_CHAT_ID": str(STAFF_CHAT)}
    await in_process(monkeypatch, tmp_path, env, "staff", "add", str(ADMIN), "--role", "admin")
    await in_process(monkeypatch, tmp_path, env, "staff", "add", str(AGENT), "--role", "agent")
    # Asked again for the role it has: nothing changed, nothing to tell.
    await in_process(monkeypatch, tmp_path, env, "staff", "add", str(AGENT), "--role", "agent")
    await in_process(monkeypatch, tmp_path, env, "staff", "add", str(AGENT), "--role", "arbitrator")
    assert await in_process(monkeypatch, tmp_path, env, "staff", "remove", str(AGENT)) == 0

    notices = await staff_chat_notices(tmp_path)
    assert len(notices) == 4
    assert f"made <code>{AGENT}</code> a support agent from the command line" in notices[1]
    assert "(was a support agent)" in notices[2]
    assert f"removed an arbitrator <code>{AGENT}</code>" in notices[3]
    assert "refused from now on" in notices[3]
