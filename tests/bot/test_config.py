from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import Settings

pytestmark = pytest.mark.backend_independent


def test_defaults_use_an_sqlite_file_under_the_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DATA_DIR", "/srv/bot")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.resolved_database_url == "sqlite+aiosqlite:////srv/bot/complaint_bot.db"
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.default_locale == "zh_CN"
    assert settings.timezone == "Asia/Shanghai"
    assert settings.bot_token is None


def test_admin_ids_are_read_from_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", "11, 22,33")
    assert Settings(_env_file=None).admin_ids == (11, 22, 33)  # type: ignore[call-arg]


def test_empty_values_mean_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BOT_TOKEN", "STAFF_CHAT_ID", "REDIS_URL", "WEBHOOK_URL", "POLICY_FILE"):
        monkeypatch.setenv(name, "")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.bot_token is None
    assert settings.staff_chat_id is None
    assert settings.policy_file is None


def test_the_token_never_shows_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "123:SECRET")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert "SECRET" not in repr(settings)
    assert settings.bot_token is not None
    assert settings.bot_token.get_secret_value() == "123:SECRET"


@pytest.mark.parametrize(("name", "value"), [("TIMEZONE", "Mars/Base"), ("DEFAULT_LOCALE", "fr")])
def test_unknown_timezone_or_locale_is_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings(_env_file=None)  # type: ignore[call-arg]


@pytest.mark.parametrize(("raw", "runtime"), [("", "aiogram"), ("ptb", "ptb"), (" PTB ", "ptb")])
def test_bot_runtime_picks_the_library_aiogram_unless_told(
    monkeypatch: pytest.MonkeyPatch, raw: str, runtime: str
) -> None:
    monkeypatch.setenv("BOT_RUNTIME", raw)
    assert Settings(_env_file=None).bot_runtime == runtime  # type: ignore[call-arg]


def test_an_unknown_bot_runtime_is_refused_naming_the_choices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BOT_RUNTIME", "telethon")
    with pytest.raises(
        ValidationError, match="BOT_RUNTIME must be one of aiogram, ptb, not 'telethon'"
    ):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_the_api_url_loses_a_trailing_slash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:8081/")
    assert Settings(_env_file=None).api_base == "http://127.0.0.1:8081"  # type: ignore[call-arg]


def test_env_example_documents_every_setting_and_loads(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    example = Path(__file__).resolve().parents[2] / ".env.example"
    names = {
        line.split("=", 1)[0]
        for line in example.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    }
    assert names == {field.upper() for field in Settings.model_fields}
    for name in names:
        monkeypatch.delenv(name, raising=False)
    env_file = tmp_path / ".env"  # what `cp .env.example .env` gives an operator
    env_file.write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert settings.bot_token is None
    assert settings.timezone == "Asia/Shanghai"


@pytest.mark.parametrize(
    ("raw", "kind", "value"),
    [
        ("@kameng_kefu", "telegram", "kameng_kefu"),
        (" https://help.example.com/kefu ", "url", "https://help.example.com/kefu"),
        ("400-123-4567", "phone", "400-123-4567"),
        ("+86 21 5555 0000", "phone", "+86 21 5555 0000"),
    ],
)
def test_the_support_contact_is_a_username_an_https_url_or_a_phone(
    monkeypatch: pytest.MonkeyPatch, raw: str, kind: str, value: str
) -> None:
    monkeypatch.setenv("SUPPORT_CONTACT", raw)
    support = Settings(_env_file=None).support  # type: ignore[call-arg]
    assert support is not None
    assert support.params() == {"kind": kind, "value": value}


@pytest.mark.parametrize(
    "raw", ["kefu", "@abc", "http://help.example.com", "javascript:alert(1)", "123", "@a b c"]
)
def test_a_support_contact_of_another_form_is_refused(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv("SUPPORT_CONTACT", raw)
    with pytest.raises(ValidationError, match="support_contact"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_no_support_contact_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORT_CONTACT", "")
    assert Settings(_env_file=None).support is None  # type: ignore[call-arg]
