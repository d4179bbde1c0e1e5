"""Typed settings from the environment and `.env`; built once, inside `main()`."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.transport.runtimes import RUNTIMES, Runtime
from cases.policy import parse_hours
from dialogs.support import SupportContact, parse_support_contact

SUPPORTED_LOCALES = ("zh_CN", "en")
# An HMAC key shorter than this is guessable offline from one signed request.
MIN_PLATFORM_SECRET_LENGTH = 16
STAFF_CHAT_OFF = "off"
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    # The library that speaks the Bot API (bot/transport/runtimes.py); the rest of the bot is one.
    bot_runtime: Runtime = "aiogram"
    telegram_api_url: str = "https://api.telegram.org"
    database_url: str = ""
    redis_url: str | None = None
    # The staff group's id, or "off" to run without one on purpose: unset is refused at start
    # (bot/runner.py), because staff notices and alerts would go nowhere without a word.
    staff_chat_id: int | Literal["off"] | None = None
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    default_locale: str = "zh_CN"
    timezone: str = "Asia/Shanghai"
    # Deadline reminders go out only in these local hours; one due outside moves earlier.
    reminder_hours: str = "09:00-21:00"
    policy_file: Path | None = None
    evidence_dir: Path = Path("data/evidence")
    # A CJK font file for the dossier's PDF; unset: Debian's Noto CJK or WenQuanYi, if installed.
    dossier_font: Path | None = None
    data_dir: Path = Path("data")
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "0.0.0.0"  # noqa: S104 (behind the TLS proxy, in a container)
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    log_level: str = "INFO"
    polling_timeout: int = Field(default=30, ge=0, le=50)
    # Seconds one update may take, Bot API calls included; past it the update is retried once.
    update_timeout: float = Field(default=30.0, gt=0)
    platform_gateway: Literal["manual", "http"] = "manual"
    platform_refund_url: str | None = None
    platform_secret: SecretStr | None = None
    # Signs the platform's complaint links (dialogs/deep_links.py); unset accepts them unsigned.
    deep_link_secret: SecretStr | None = None
    inbox_retention_days: int = Field(default=7, ge=1)
    outbox_retention_days: int = Field(default=30, ge=1)
    # Where the daily audit publication appends the chain heads; DATA_DIR/audit_heads.jsonl
    # when unset. Best kept on other storage than the database (see cases/audit.py).
    audit_heads_file: Path | None = None
    # The offline sandbox (`make run` without BOT_TOKEN): its web page and its local Bot API.
    sandbox_port: int = Field(default=8080, ge=1, le=65535)
    sandbox_api_port: int = Field(default=0, ge=0, le=65535)
    # This process's name on the rows it leases; host:pid when unset (bot/app.py).
    worker_id: str | None = Field(default=None, min_length=1, max_length=128)
    # Where buyers reach a person: @username, an https URL or a phone; unset, the texts say what
    # the buyer can do in the bot instead.
    support_contact: str | None = None

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(int(part) for part in value.replace(" ", "").split(",") if part)
        if isinstance(value, int):
            return (value,)
        return value

    @field_validator(
        "staff_chat_id", "redis_url", "webhook_url", "policy_file", "dossier_font",
        "platform_refund_url", "worker_id", "audit_heads_file", mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("staff_chat_id", mode="before")
    @classmethod
    def _staff_chat_off(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() == STAFF_CHAT_OFF:
            return STAFF_CHAT_OFF
        return value

    @field_validator(
        "bot_token", "webhook_secret", "platform_secret", "deep_link_secret", mode="before"
    )
    @classmethod
    def _empty_secret_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("bot_runtime", mode="before")
    @classmethod
    def _known_runtime(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().lower() or "aiogram"
        if value not in RUNTIMES:
            raise ValueError(f"BOT_RUNTIME must be one of {', '.join(RUNTIMES)}, not {value!r}")
        return value

    @field_validator("default_locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LOCALES)}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("reminder_hours")
    @classmethod
    def _hours_window(cls, value: str) -> str:
        parse_hours(value)
        return value

    @field_validator("support_contact")
    @classmethod
    def _support_contact(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parse_support_contact(value)
        return value.strip()

    @property
    def support(self) -> SupportContact | None:
        return None if self.support_contact is None else parse_support_contact(self.support_contact)

    @field_validator("platform_refund_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @model_validator(mode="after")
    def _http_gateway_is_configured(self) -> Self:
        """PLATFORM_GATEWAY=http cannot send or sign anything without the URL and the secret."""
        if self.platform_gateway != "http":
            return self
        if self.platform_refund_url is None or self.platform_secret is None:
            raise ValueError("PLATFORM_GATEWAY=http needs PLATFORM_REFUND_URL and PLATFORM_SECRET")
        if len(self.platform_secret.get_secret_value()) < MIN_PLATFORM_SECRET_LENGTH:
            raise ValueError(
                f"PLATFORM_SECRET must be at least {MIN_PLATFORM_SECRET_LENGTH} characters"
            )
        return self

    @model_validator(mode="after")
    def _deep_link_secret_is_long_enough(self) -> Self:
        secret = self.deep_link_secret
        if secret is not None and len(secret.get_secret_value()) < MIN_PLATFORM_SECRET_LENGTH:
            raise ValueError(
                f"DEEP_LINK_SECRET must be at least {MIN_PLATFORM_SECRET_LENGTH} characters"
            )
        return self

    @model_validator(mode="after")
    def _webhook_is_secured(self) -> Self:
        """Webhook mode needs an https URL and a secret that Telegram sends back with each post."""
        if self.webhook_url is None:
            return self
        if not self.webhook_url.startswith("https://"):
            raise ValueError("WEBHOOK_URL must be an https:// URL (Telegram posts only over TLS)")
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if not _WEBHOOK_SECRET.fullmatch(secret):
            raise ValueError(
                "WEBHOOK_URL needs WEBHOOK_SECRET: 1-256 characters of A-Z, a-z, 0-9, _ and -"
            )
        return self

    @property
    def webhook_path(self) -> str:
        """The path Telegram posts to, which the bot's own server listens on as well."""
        return urlsplit(self.webhook_url or "").path or "/"

    @property
    def staff_chat(self) -> int | None:
        """The staff group's id; None when it is off (or unset, which `run` refuses)."""
        return self.staff_chat_id if isinstance(self.staff_chat_id, int) else None

    @property
    def reminder_window(self) -> tuple[time, time]:
        """REMINDER_HOURS as the local start and end times."""
        return parse_hours(self.reminder_hours)

    @property
    def deep_link_key(self) -> bytes | None:
        """DEEP_LINK_SECRET as the HMAC key, or None when links are not signed."""
        if self.deep_link_secret is None:
            return None
        return self.deep_link_secret.get_secret_value().encode()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def resolved_database_url(self) -> str:
        """DATABASE_URL, or an SQLite file under the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'complaint_bot.db').resolve()}"

    @property
    def resolved_audit_heads_file(self) -> Path:
        """AUDIT_HEADS_FILE, or a file under the data directory."""
        return self.audit_heads_file or self.data_dir / "audit_heads.jsonl"

    @property
    def bot_id(self) -> str:
        """The bot's numeric id, the token's part before the colon ("0" without a token)."""
        if self.bot_token is None:
            return "0"
        return self.bot_token.get_secret_value().split(":", 1)[0]

    @property
    def api_base(self) -> str:
        return self.telegram_api_url.rstrip("/")
