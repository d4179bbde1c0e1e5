"""Every user-facing text, per locale, rendered with Jinja2 (HTML autoescape on).

Texts live beside this file in `<locale>.toml` and `<area>.<locale>.toml` (one file per area,
so the filing texts and the bot's own texts don't collide), as `key = "template"` tables. Templates
may use Telegram's HTML subset; every parameter is escaped unless a template says otherwise,
so user text can never inject markup.
"""

from __future__ import annotations

import hashlib
import html
import logging
import os
import re
import tomllib
from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from jinja2 import Environment, StrictUndefined, Template, TemplateAssertionError, nodes
from markupsafe import Markup

from cases.calendar import last_covered
from cases.money import format_amount

LOCALES_DIR = Path(__file__).parent
LOCALES = ("zh_CN", "en")
FALLBACK_LOCALE = "zh_CN"
# How a deadline is quoted: "by" for a move a person must make in time ("2026-12-01（含当天）前"),
# "latest" for an outcome the platform promises ("最晚 2026-12-01（含当天）").
DEADLINE_STYLES = ("by", "latest")
# A tag of Telegram's HTML subset; a `<` in a parameter is escaped, so never matches.
_TAG = re.compile(r"<[^>]+>")

log = logging.getLogger(__name__)


class MissingTextError(KeyError):
    """A key that is in no locale file; a bug, caught by the locale tests."""


@cache
def load_texts(locale: str) -> Mapping[str, str]:
    texts: dict[str, str] = {}
    paths = [LOCALES_DIR / f"{locale}.toml", *sorted(LOCALES_DIR.glob(f"*.{locale}.toml"))]
    for path in paths:
        if not path.exists():
            continue
        with path.open("rb") as fh:
            flat = _flatten(tomllib.load(fh))
        clash = texts.keys() & flat.keys()
        if clash:
            raise ValueError(f"{path.name} repeats keys defined elsewhere: {sorted(clash)}")
        texts.update(flat)
    return texts


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Accepts both `a.b = "…"` and `[a] b = "…"` spellings; keys come out dotted."""
    flat: dict[str, str] = {}
    for key, value in table.items():
        full = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{full}."))
        else:
            flat[full] = str(value)
    return flat


class Translator:
    """Renders locale keys; one instance per process, shared by every handler."""

    def __init__(self, tz: ZoneInfo, default_locale: str = FALLBACK_LOCALE) -> None:
        self.tz = tz
        self.default_locale = default_locale
        self._envs = {locale: self._make_env(locale) for locale in LOCALES}
        self._templates: dict[tuple[str, str], Template] = {}
        self._rendered: dict[tuple[str, str], str] = {}

    def render(self, locale: str, key: str, params: Mapping[str, Any] | None = None) -> str:
        locale = locale if locale in LOCALES else self.default_locale
        if not params:
            # A text of no parameters (most button labels) renders the same every time.
            done = self._rendered.get((locale, key))
            if done is None:
                done = self._rendered[(locale, key)] = self._template(locale, key).render().strip()
            return done
        return self._template(locale, key).render(**params).strip()

    def render_plain(self, locale: str, key: str, params: Mapping[str, Any] | None = None) -> str:
        """The text without its markup, for a terminal or a Telegram alert (which shows none)."""
        return html.unescape(_TAG.sub("", self.render(locale, key, params)))

    def check_all(self) -> int:
        """Parses every text of every locale and checks the filters and tests it names, so a
        broken template fails at start-up; returns how many were checked.

        Compiling them all would check the same (tests/locales compiles them), but takes about
        five times as long and keeps ~4 MB of compiled code for texts a process may never send;
        texts are compiled on first use instead.
        """
        checked = 0
        for locale in LOCALES:
            env = self._envs[locale]
            for key, source in load_texts(locale).items():
                tree = env.parse(source, name=f"{locale}:{key}")
                for node in tree.find_all((nodes.Filter, nodes.Test)):
                    known = env.filters if isinstance(node, nodes.Filter) else env.tests
                    if node.name not in known:
                        kind = "filter" if isinstance(node, nodes.Filter) else "test"
                        raise TemplateAssertionError(
                            f"No {kind} named {node.name!r}.", node.lineno, f"{locale}:{key}"
                        )
                checked += 1
        return checked

    def check_all_once(self, marker: Path) -> bool:
        """`check_all`, unless `marker` records that these very texts passed it: the digest
        of every locale file, the Jinja2 version and the filters and tests the texts may use.
        Returns whether it checked. Parsing the 1,500-odd texts took a quarter of a second of
        every start-up, for files that change only with an upgrade or an operator's edit."""
        digest = self._texts_digest()
        try:
            if marker.read_text(encoding="ascii").strip() == digest:
                return False
        except (OSError, UnicodeDecodeError):
            pass  # never checked here, or unreadable: check
        self.check_all()
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            scratch = marker.with_name(marker.name + ".tmp")
            scratch.write_text(digest + "\n", encoding="ascii")
            os.replace(scratch, marker)
        except OSError as exc:  # a read-only data directory: check again next time
            log.info("could not record the locale check in %s: %s", marker, exc)
        return True

    def _texts_digest(self) -> str:
        digest = hashlib.sha256(f"jinja2 {jinja2.__version__}\n".encode())
        for locale in LOCALES:
            env = self._envs[locale]
            names = " ".join(sorted(env.filters)) + " | " + " ".join(sorted(env.tests))
            digest.update(f"{locale} {names}\n".encode())
        for path in sorted(LOCALES_DIR.glob("*.toml")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()

    def compile_all(self) -> int:
        """Compiles every text of every locale (the locale tests do; the bot checks instead)."""
        for locale in LOCALES:
            for key in load_texts(locale):
                self._template(locale, key)
        return len(self._templates)

    def has(self, key: str) -> bool:
        return all(key in load_texts(locale) for locale in LOCALES)

    def _template(self, locale: str, key: str) -> Template:
        cached = self._templates.get((locale, key))
        if cached is None:
            source = load_texts(locale).get(key)
            if source is None:
                raise MissingTextError(f"{locale}:{key}")
            cached = self._envs[locale].from_string(source)
            self._templates[(locale, key)] = cached
        return cached

    def _make_env(self, locale: str) -> Environment:
        env = Environment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=False)
        env.filters["money"] = lambda minor, currency="CNY": _money(locale, minor, currency)
        env.filters["date"] = self._date
        env.filters["datetime"] = self._datetime
        env.filters["deadline"] = lambda value, style="by": self._deadline(locale, value, style)
        # A nested text is already rendered (and escaped) HTML: mark it safe, or it would be
        # escaped twice.
        env.globals["t"] = lambda key, **kw: Markup(self.render(locale, key, kw))  # noqa: S704
        return env

    def _local(self, value: datetime) -> datetime:
        return value.astimezone(self.tz)

    def _date(self, value: date | datetime) -> str:
        if isinstance(value, datetime):
            value = self._local(value).date()
        return value.isoformat()

    def _datetime(self, value: datetime) -> str:
        return self._local(value).strftime("%Y-%m-%d %H:%M")

    def _deadline(self, locale: str, value: date | datetime, style: str) -> Markup:
        """Quotes a deadline the one way every audience sees it (texts `deadline.*`).

        A deadline is an instant; one at local midnight reads as the day before, inclusive, any
        other as its day and time. A plain date (a notice queued by an older version) is already
        the last day covered.
        """
        if style not in DEADLINE_STYLES:
            raise ValueError(f"unknown deadline style {style!r}")
        if isinstance(value, datetime):
            day, at = last_covered(value, self.tz)
        else:
            day, at = value, None
        key = f"deadline.{style}_day" if at is None else f"deadline.{style}_time"
        params = {"day": day.isoformat(), "time": "" if at is None else at.strftime("%H:%M")}
        # Rendered (and escaped) by its own text already.
        return Markup(self.render(locale, key, params))  # noqa: S704


def _money(locale: str, minor: int, currency: str) -> str:
    amount = format_amount(minor)
    if locale == "zh_CN" and currency == "CNY":
        return f"{amount} 元"
    return f"{currency} {amount}"
