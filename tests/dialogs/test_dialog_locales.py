"""The buyer texts: the same keys in zh_CN and en, every key the dialogs use exists, none is dead.

Rendering is checked where the replies are made: the chat driver renders every reply of every
dialog test in both locales with the parameters the dialog gave (tests/fakes/chat.py).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from cases.model import CaseStatus, Reason, RefundKind, RefundMethod
from dialogs.draft import EditField, Step
from tests.fakes.chat import Chat, photo, translator
from tests.fakes.filing_script import reach

ROOT = Path(__file__).resolve().parents[2]
LOCALE_FILES = {"zh_CN": ROOT / "locales" / "zh_CN.toml", "en": ROOT / "locales" / "en.toml"}
DIALOGS = ROOT / "dialogs"
PREFIXES = (
    "filing", "status", "menu", "btn", "reason", "case_status", "refund_method", "refund_kind",
    "step", "error",
)
_LITERAL_KEY = re.compile(r"""["']((?:%s)\.[a-z_.]+)["']""" % "|".join(PREFIXES))  # noqa: UP031
# Keys the dialogs build from a value: (key prefix, every value it is completed with).
FAMILIES = {
    "reason.": [reason.value for reason in Reason],
    "filing.hint.": [reason.value for reason in Reason],
    "case_status.": [status.value for status in CaseStatus],
    "refund_method.": [method.value for method in RefundMethod],
    "refund_kind.": [kind.value for kind in RefundKind],
    "step.": [step.value for step in Step],
    "btn.edit_": [field.value for field in EditField],
}
ALLOWED_TAGS = {"b", "i", "code", "a"}
_NAMED_IN_TEMPLATE = re.compile(r"""\bt\(["']([a-z_.]+)["']\)""")


def load(locale: str) -> dict[str, str]:
    with LOCALE_FILES[locale].open("rb") as handle:
        table = tomllib.load(handle)
    assert all(isinstance(value, str) for value in table.values()), "keep the table flat"
    return table


def keys_in_dialog_code() -> set[str]:
    found: set[str] = set()
    for path in DIALOGS.glob("*.py"):
        found |= set(_LITERAL_KEY.findall(path.read_text(encoding="utf-8")))
    return found


def keys_in_templates(texts: dict[str, str]) -> set[str]:
    """Keys a template names itself, as in t("refund_kind.capped")."""
    return {key for template in texts.values() for key in _NAMED_IN_TEMPLATE.findall(template)}


def family_keys() -> set[str]:
    return {prefix + value for prefix, values in FAMILIES.items() for value in values}


def test_both_locales_have_the_same_keys() -> None:
    zh, en = set(load("zh_CN")), set(load("en"))

    assert zh - en == set(), "missing in en.toml"
    assert en - zh == set(), "missing in zh_CN.toml"


@pytest.mark.parametrize("locale", list(LOCALE_FILES))
def test_every_key_the_dialogs_name_exists(locale: str) -> None:
    texts = load(locale)

    missing = (keys_in_dialog_code() | family_keys()) - set(texts)

    assert missing == set()


def test_no_text_is_dead() -> None:
    texts = load("zh_CN")
    used = keys_in_dialog_code() | family_keys() | keys_in_templates(texts)

    assert set(texts) - used == set()


def test_keys_are_grouped_by_prefix() -> None:
    assert {key.split(".", 1)[0] for key in load("zh_CN")} == set(PREFIXES)


def test_every_case_status_has_a_label() -> None:
    for locale in LOCALE_FILES:
        texts = load(locale)
        assert all(f"case_status.{status.value}" in texts for status in CaseStatus)


@pytest.mark.parametrize("locale", list(LOCALE_FILES))
def test_texts_use_only_the_telegram_html_subset(locale: str) -> None:
    for key, template in load(locale).items():
        tags = set(re.findall(r"</?([a-zA-Z][a-zA-Z0-9]*)", template))
        assert tags <= ALLOWED_TAGS, (key, tags)


def test_chinese_texts_use_the_platform_words() -> None:
    everything = "".join(load("zh_CN").values())

    for word in ("投诉编号", "原路返回", "平台余额", "补充材料", "卡密", "定制商品", "工作日"):
        assert word in everything, word


def test_the_renderer_loads_these_files() -> None:
    assert translator().has("filing.summary")
    assert translator().has("case_status.in_arbitration")


async def test_buyer_text_is_escaped_in_the_summary(chat: Chat) -> None:
    await reach(chat, Step.DESCRIPTION)
    await chat.send('<b>卡密</b> & <a href="x">无效</a>，请尽快处理')
    await chat.click("f:done")  # refused: evidence needed
    await chat.upload(photo(1))
    await chat.click("f:done")
    await chat.click("f:refund:full")

    summary = await chat.click("f:method:original")

    for locale in LOCALE_FILES:
        text = summary.text(locale)
        assert "&lt;b&gt;卡密&lt;/b&gt; &amp; &lt;a href=&#34;x&#34;&gt;" in text
        assert "<b>卡密</b>" not in text
