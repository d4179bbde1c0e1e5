"""The operator's commands: through the console script as a process where the process is what is
tested (the script, `make`), through the same `main` in this process for what the commands do."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from unittest.mock import patch

import pytest

from bot import cli

pytestmark = pytest.mark.backend_independent

ROOT = Path(__file__).resolve().parents[2]


def cli_env(
    tmp_path: Path, locale: str = "en", extra_env: dict[str, str] | None = None
) -> dict[str, str]:
    return {
        "BOT_TOKEN": "",
        "DATABASE_URL": "",
        "DATA_DIR": str(tmp_path / "data"),
        "DEFAULT_LOCALE": locale,
        **(extra_env or {}),
    }


def run_cli_process(
    tmp_path: Path, *args: str, locale: str = "en", extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The console script the README shows, installed beside the interpreter running the tests,
    as a process of its own."""
    script = Path(sys.executable).with_name("complaint-bot")
    return subprocess.run(  # noqa: S603 - fixed argv, our own CLI
        [str(script), *args],
        cwd=tmp_path,
        env={**os.environ, **cli_env(tmp_path, locale, extra_env)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_cli(
    tmp_path: Path, *args: str, locale: str = "en", extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The same `main` the console script calls, in this process (aiogram's import costs a new
    process seconds): with the command's environment and working directory, its output caught,
    and in a thread of its own, as `main` runs its own event loop."""
    out, err = io.StringIO(), io.StringIO()

    def call() -> int:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                return cli.main(list(args))
            except SystemExit as exit_:  # argparse's refusals
                code = exit_.code
                return code if isinstance(code, int) else 0 if code is None else 1

    cwd = Path.cwd()
    with patch.dict(os.environ, cli_env(tmp_path, locale, extra_env)):
        os.chdir(tmp_path)  # no .env of the developer's is read
        try:
            with ThreadPoolExecutor(1) as thread:
                code = thread.submit(call).result(timeout=120)
        finally:
            os.chdir(cwd)
    return subprocess.CompletedProcess(
        ["complaint-bot", *args], code, out.getvalue(), err.getvalue()
    )


def test_run_without_token_says_what_to_set_and_exits(tmp_path: Path) -> None:
    result = run_cli_process(tmp_path, "run")
    assert result.returncode == 2
    assert "BOT_TOKEN" in result.stderr
    assert "@BotFather" in result.stderr
    assert ".env" in result.stderr


def test_run_without_token_answers_in_chinese_by_default(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "run", locale="zh_CN")
    assert result.returncode == 2
    assert "未设置 BOT_TOKEN" in result.stderr


def test_run_without_token_points_to_the_offline_sandbox(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "run")
    assert "make run" in result.stderr
    assert "sandbox" in result.stderr


def test_make_run_without_token_starts_the_sandbox(tmp_path: Path) -> None:
    """The sandbox itself is tested in tests/sandbox; here only that make leads to it.

    A port held by the test makes the sandbox stop at once with its own message, so the test
    does not have to serve and stop a whole sandbox to see where `make run` went.
    """
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            **os.environ,
            "BOT_TOKEN": "",
            "DATA_DIR": str(tmp_path / "data"),
            "DEFAULT_LOCALE": "en",
            "SANDBOX_PORT": str(port),
        }
        result = subprocess.run(
            ["make", "-s", "run"],  # noqa: S607 - make from PATH, as the README says
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    assert result.returncode != 0
    assert f"The sandbox cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "SANDBOX_PORT" in result.stderr


def test_python_dash_m_bot_is_the_same_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    for command in ("run", "migrate", "orders", "staff"):
        assert command in result.stdout


def test_make_migrate_upgrades_the_database(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": "", "DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run(
        ["make", "-s", "migrate"],  # noqa: S607 - make from PATH, as the README says
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "complaint_bot.db").is_file()


def test_migrate_creates_the_sqlite_database_under_data_dir(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "migrate")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "complaint_bot.db").is_file()


def test_demo_orders_import_cleanly_and_a_second_import_changes_nothing(tmp_path: Path) -> None:
    demo = ROOT / "demo" / "orders.csv"
    first = run_cli(tmp_path, "orders", "import", str(demo), "--shift-to-now")
    assert first.returncode == 0, first.stderr
    assert "12 new" in first.stdout
    assert "0 failed" in first.stdout
    # The shifted times depend on the moment of import; without the shift the file is stable.
    plain = run_cli(tmp_path, "orders", "import", str(demo))
    again = run_cli(tmp_path, "orders", "import", str(demo))
    assert plain.returncode == 0, plain.stderr
    assert "0 new, 0 updated, 12 unchanged, 0 failed" in again.stdout


def test_orders_import_reports_bad_rows_by_line_and_keeps_the_good_ones(tmp_path: Path) -> None:
    header = (
        "order_no,buyer_account,merchant_code,product,category,amount,currency,"
        "paid_at,delivered_at,status"
    )
    good = "KM1,lihua,M1,Steam 100,game_card,100.00,CNY,2026-11-20T10:00:00+08:00,,paid"
    bad = "KM2,lihua,M1,Steam 100,game_card,abc,CNY,2026-11-20T10:00:00+08:00,,paid"
    csv_file = tmp_path / "orders.csv"
    csv_file.write_text("\n".join([header, good, bad]) + "\n", encoding="utf-8")
    result = run_cli(tmp_path, "orders", "import", str(csv_file))
    assert result.returncode == 1
    assert "Line 3" in result.stderr
    assert "1 new" in result.stdout
    assert "1 failed" in result.stdout


def test_orders_import_of_a_missing_file_says_so(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "orders", "import", str(tmp_path / "nope.csv"))
    assert result.returncode == 2
    assert "nope.csv" in result.stderr


@pytest.mark.parametrize("role", ["agent", "arbitrator", "admin"])
def test_staff_add_grants_the_role(tmp_path: Path, role: str) -> None:
    result = run_cli(tmp_path, "staff", "add", "424242", "--role", role)
    assert result.returncode == 0, result.stderr
    assert "424242" in result.stdout


def test_staff_add_refuses_an_unknown_role(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "staff", "add", "424242", "--role", "boss")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
