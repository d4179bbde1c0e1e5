"""`complaint-bot merchants`, as the operator runs it: printing the link, binding, unbinding."""

from __future__ import annotations

import asyncio
import hashlib
import re
import subprocess
from pathlib import Path

import pytest

from bot import cli
from cases.clock import SystemClock
from cases.model import Merchant
from sandbox.botapi import FakeBotAPI
from storage.db import make_engine, make_session_factory
from storage.uow import SqlUnitOfWork
from tests.bot.test_cli import run_cli, run_cli_process

pytestmark = pytest.mark.backend_independent

LINK = re.compile(r"https://t\.me/(?P<bot>\w+)\?start=m_(?P<token>[A-Za-z0-9_-]+)")


def database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{(tmp_path / 'data' / 'complaint_bot.db').resolve()}"


async def stored_merchant(tmp_path: Path, code: str) -> Merchant | None:
    engine = make_engine(database_url(tmp_path))
    try:
        async with SqlUnitOfWork(make_session_factory(engine)) as uow:
            return await uow.merchants.get(code)
    finally:
        await engine.dispose()


async def binds(tmp_path: Path, token: str, user_id: int) -> Merchant | None:
    """Spends the token as the bot would for `user_id` (rolled back: the test only looks)."""
    engine = make_engine(database_url(tmp_path))
    try:
        async with SqlUnitOfWork(make_session_factory(engine)) as uow:
            digest = hashlib.sha256(token.encode()).hexdigest()
            return await uow.merchants.bind(digest, user_id, SystemClock().now())
    finally:
        await engine.dispose()


def link_in(result: subprocess.CompletedProcess[str]) -> re.Match[str]:
    found = LINK.search(result.stdout)
    assert found, result.stdout + result.stderr
    return found


def test_adding_a_merchant_prints_a_one_time_link_for_the_given_bot(tmp_path: Path) -> None:
    result = run_cli(
        tmp_path, "merchants", "add", "M1001", "--name", "星辰卡铺", "--bot-username", "@km_bot"
    )
    assert result.returncode == 0, result.stderr
    link = link_in(result)
    assert link["bot"] == "km_bot"
    assert "M1001" in result.stdout
    assert asyncio.run(stored_merchant(tmp_path, "M1001")) == Merchant("M1001", "星辰卡铺", None)
    db = (tmp_path / "data" / "complaint_bot.db").read_bytes()
    assert link["token"].encode() not in db  # only its hash is kept
    assert asyncio.run(binds(tmp_path, link["token"], 4242)) == Merchant("M1001", "星辰卡铺", 4242)


def test_a_new_link_voids_the_previous_one_and_keeps_the_name_current(tmp_path: Path) -> None:
    add = ("merchants", "add", "M1", "--bot-username", "km_bot", "--name")
    first = run_cli(tmp_path, *add, "旧名")
    second = run_cli(tmp_path, *add, "新名")
    assert first.returncode == second.returncode == 0
    assert asyncio.run(binds(tmp_path, link_in(first)["token"], 4242)) is None
    bound = asyncio.run(binds(tmp_path, link_in(second)["token"], 4242))
    assert bound == Merchant("M1", "新名", 4242)


def test_without_a_token_or_a_username_it_says_what_to_give_and_writes_nothing(
    tmp_path: Path,
) -> None:
    result = run_cli(tmp_path, "merchants", "add", "M1001", "--name", "星辰卡铺")
    assert result.returncode == 2
    assert "--bot-username" in result.stderr
    assert "BOT_TOKEN" in result.stderr
    assert not (tmp_path / "data" / "complaint_bot.db").exists()


def test_a_bad_merchant_code_or_username_is_refused(tmp_path: Path) -> None:
    bad_code = run_cli(
        tmp_path, "merchants", "add", "M 1", "--name", "x", "--bot-username", "km_bot"
    )
    assert bad_code.returncode == 2
    assert "M 1" in bad_code.stderr
    bad_user = run_cli(tmp_path, "merchants", "add", "M1", "--name", "x", "--bot-username", "a b")
    assert bad_user.returncode == 2
    assert "a b" in bad_user.stderr


def test_the_texts_follow_the_default_locale(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "merchants", "add", "M1", "--name", "x", locale="zh_CN")
    assert result.returncode == 2
    assert "机器人的用户名" in result.stderr


async def test_with_bot_token_the_username_comes_from_telegram(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    env = {"BOT_TOKEN": fake_api.token, "TELEGRAM_API_URL": fake_api.base_url}
    result = await asyncio.to_thread(
        run_cli_process, tmp_path, "merchants", "add", "M1001", "--name", "星辰卡铺", extra_env=env
    )
    assert result.returncode == 0, result.stderr
    assert link_in(result)["bot"] == "complaint_test_bot"
    assert [call.method for call in fake_api.log.calls()] == ["getMe"]


# The getMe answers below go through the same `main` in this process (a thread, as it runs its
# own event loop): the process start above already shows the wiring, and aiogram's import
# takes seconds per process.


async def in_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str], *args: str
) -> int:
    for name, value in {"DATABASE_URL": "", "DATA_DIR": str(tmp_path / "data"), **env}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DEFAULT_LOCALE", "en")
    monkeypatch.chdir(tmp_path)  # no .env of the developer's is read
    return await asyncio.to_thread(cli.main, list(args))


async def test_a_username_that_is_not_the_tokens_bot_is_refused(
    tmp_path: Path,
    fake_api: FakeBotAPI,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = {"BOT_TOKEN": fake_api.token, "TELEGRAM_API_URL": fake_api.base_url}
    add = ("merchants", "add", "M1", "--name", "x", "--bot-username", "other_bot")
    assert await in_process(monkeypatch, tmp_path, env, *add) == 2
    assert "@complaint_test_bot" in capsys.readouterr().err
    assert not (tmp_path / "data" / "complaint_bot.db").exists()


async def test_a_token_telegram_refuses_is_reported(
    tmp_path: Path,
    fake_api: FakeBotAPI,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = {"BOT_TOKEN": "999:WRONG", "TELEGRAM_API_URL": fake_api.base_url}
    add = ("merchants", "add", "M1", "--name", "x")
    assert await in_process(monkeypatch, tmp_path, env, *add) == 2
    assert "TELEGRAM_API_URL" in capsys.readouterr().err
    fake_api.clear()  # the refused call is what this test is about


async def _bind(tmp_path: Path, code: str, user_id: int) -> None:
    """Binds the merchant to the user as opening its link would (committed)."""
    engine = make_engine(database_url(tmp_path))
    try:
        async with SqlUnitOfWork(make_session_factory(engine)) as uow:
            await uow.merchants.set_bind_token(code, "f" * 64, SystemClock().now())
            await uow.merchants.bind("f" * 64, user_id, SystemClock().now())
            await uow.commit()
    finally:
        await engine.dispose()


async def test_the_list_shows_each_merchant_and_its_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    no_token = {"BOT_TOKEN": ""}
    assert await in_process(monkeypatch, tmp_path, no_token, "merchants", "list") == 0
    assert "No merchants yet" in capsys.readouterr().out
    for code in ("M1001", "M2002"):
        add = ("merchants", "add", code, "--name", "星辰卡铺", "--bot-username", "km_bot")
        assert await in_process(monkeypatch, tmp_path, no_token, *add) == 0
    await _bind(tmp_path, "M2002", 777)
    capsys.readouterr()
    assert await in_process(monkeypatch, tmp_path, no_token, "merchants", "list") == 0
    assert capsys.readouterr().out.splitlines() == [
        "Merchants (2):",
        "M1001  星辰卡铺  not bound, a binding link not used yet, 0 open case(s)",
        "M2002  星辰卡铺  bound to Telegram user 777, 0 open case(s)",
    ]


async def test_unbinding_frees_the_account_and_an_unknown_code_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    no_token = {"BOT_TOKEN": ""}
    add = ("merchants", "add", "M1001", "--name", "星辰卡铺", "--bot-username", "km_bot")
    await in_process(monkeypatch, tmp_path, no_token, *add)
    await _bind(tmp_path, "M1001", 777)
    capsys.readouterr()
    assert await in_process(monkeypatch, tmp_path, no_token, "merchants", "unbind", "M1001") == 0
    assert "no longer bound to Telegram user 777" in capsys.readouterr().out
    assert await stored_merchant(tmp_path, "M1001") == Merchant("M1001", "星辰卡铺")
    assert await in_process(monkeypatch, tmp_path, no_token, "merchants", "unbind", "M9") == 1
    assert "There is no merchant M9" in capsys.readouterr().err


async def test_the_staff_chat_hears_that_a_merchant_with_open_cases_was_unbound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.bot.test_cli_staff import STAFF_CHAT, staff_chat_notices

    env = {"BOT_TOKEN": "", "STAFF_CHAT_ID": str(STAFF_CHAT)}
    add = ("merchants", "add", "M1001", "--name", "<b>星辰</b>卡铺", "--bot-username", "km_bot")
    await in_process(monkeypatch, tmp_path, env, *add)
    await _bind(tmp_path, "M1001", 777)
    assert await in_process(monkeypatch, tmp_path, env, "merchants", "unbind", "M1001") == 0

    [notice] = await staff_chat_notices(tmp_path)
    assert "unbound merchant M1001 (&lt;b&gt;星辰&lt;/b&gt;卡铺)" in notice  # its name escaped
    assert "not bound to any account" not in notice


LEGAL = ("--legal-name", "星辰网络科技有限公司", "--address", "深圳市南山区科技园 1 号")


def add_merchant(tmp_path: Path) -> None:
    added = run_cli(tmp_path, "merchants", "add", "M1", "--name", "星辰卡铺",
                    "--bot-username", "km_bot")
    assert added.returncode == 0, added.stderr


def test_the_legal_details_are_saved_shown_and_changed_one_at_a_time(tmp_path: Path) -> None:
    add_merchant(tmp_path)
    none = run_cli(tmp_path, "merchants", "legal", "M1")
    assert none.returncode == 0
    assert "no legal details" in none.stdout
    saved = run_cli(
        tmp_path, "merchants", "legal", "M1", *LEGAL, "--credit-code", "9144 0300 7084 6113 6t"
    )
    assert saved.returncode == 0, saved.stderr
    assert "91440300708461136T" in saved.stdout
    moved = run_cli(tmp_path, "merchants", "legal", "M1", "--address", "深圳市福田区 2 号")
    assert moved.returncode == 0, moved.stderr
    shown = run_cli(tmp_path, "merchants", "legal", "M1")
    assert "深圳市福田区 2 号" in shown.stdout
    assert "星辰网络科技有限公司" in shown.stdout
    assert "91440300708461136T" in shown.stdout


def test_a_credit_code_with_a_wrong_check_character_is_refused(tmp_path: Path) -> None:
    add_merchant(tmp_path)
    refused = run_cli(
        tmp_path, "merchants", "legal", "M1", *LEGAL, "--credit-code", "91440300708461136X",
        locale="zh_CN",
    )
    assert refused.returncode == 2
    assert "校验码" in refused.stderr
    assert "尚未登记" in run_cli(tmp_path, "merchants", "legal", "M1", locale="zh_CN").stdout


def test_the_first_legal_details_need_all_three_and_an_unknown_merchant_none(
    tmp_path: Path,
) -> None:
    add_merchant(tmp_path)
    partial = run_cli(tmp_path, "merchants", "legal", "M1", *LEGAL)
    assert partial.returncode == 2
    assert "--credit-code" in partial.stderr
    unknown = run_cli(tmp_path, "merchants", "legal", "M9", *LEGAL)
    assert unknown.returncode == 1
    assert "M9" in unknown.stderr
