"""`complaint-bot staff list|remove`: who holds a role, and taking one away (never the last
admin's). Run in process, like an operator's command but without a new interpreter each."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bot.test_cli_merchants import in_process

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
