"""Every locale file: same keys in each language, every template compiles and renders."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from jinja2 import TemplateAssertionError, TemplateSyntaxError

import locales
from locales import LOCALES, LOCALES_DIR, Translator, load_texts

SHANGHAI = ZoneInfo("Asia/Shanghai")


def area_keys(locale: str, area: str) -> set[str]:
    import tomllib

    path = LOCALES_DIR / (f"{area}.{locale}.toml" if area else f"{locale}.toml")
    with path.open("rb") as fh:
        table = tomllib.load(fh)

    def flatten(node: dict[str, object], prefix: str = "") -> set[str]:
        keys: set[str] = set()
        for key, value in node.items():
            if isinstance(value, dict):
                keys |= flatten(value, f"{prefix}{key}.")
            else:
                keys.add(f"{prefix}{key}")
        return keys

    return flatten(table)


AREAS = sorted({path.name.split(".")[0] for path in LOCALES_DIR.glob("*.*.toml")} | {""})


@pytest.mark.parametrize("area", AREAS)
def test_every_area_file_has_the_same_keys_in_every_language(area: str) -> None:
    zh, en = area_keys("zh_CN", area), area_keys("en", area)
    assert zh - en == set(), f"missing in the English {area or 'main'} file"
    assert en - zh == set(), f"missing in the Chinese {area or 'main'} file"


def test_every_template_compiles() -> None:
    translator = Translator(SHANGHAI)
    assert translator.compile_all() == sum(len(load_texts(locale)) for locale in LOCALES)


def test_the_start_up_check_reads_every_template_and_compiles_none() -> None:
    translator = Translator(SHANGHAI)
    assert translator.check_all() == sum(len(load_texts(locale)) for locale in LOCALES)
    assert translator._templates == {}  # compiled on first use


def test_the_start_up_check_runs_again_only_when_the_texts_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "data" / "locales.checked"
    assert Translator(SHANGHAI).check_all_once(marker) is True
    assert marker.exists()

    def not_again(self: Translator) -> int:
        raise AssertionError("checked again")

    monkeypatch.setattr(Translator, "check_all", not_again)
    assert Translator(SHANGHAI).check_all_once(marker) is False
    monkeypatch.undo()
    # An edited text file (here a copy of the locale folder with one more text) is checked.
    copy = tmp_path / "locales"
    shutil.copytree(locales.LOCALES_DIR, copy, ignore=shutil.ignore_patterns("*.py", "*.md"))
    with (copy / "en.toml").open("a", encoding="utf-8") as fh:
        fh.write('\nedited_by_operator = "hello"\n')
    monkeypatch.setattr(locales, "LOCALES_DIR", copy)
    assert Translator(SHANGHAI).check_all_once(marker) is True
    assert Translator(SHANGHAI).check_all_once(marker) is False


def test_the_start_up_check_still_runs_where_it_cannot_be_recorded(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("a file, not a folder")
    marker = tmp_path / "data" / "locales.checked"
    assert Translator(SHANGHAI).check_all_once(marker) is True
    assert Translator(SHANGHAI).check_all_once(marker) is True


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("{{ amount | money }", TemplateSyntaxError),
        ("{% if paid %}{{ amount | moneyy }}{% endif %}", TemplateAssertionError),
        ("{{ 'yes' if amount is evn else 'no' }}", TemplateAssertionError),
    ],
)
def test_the_start_up_check_stops_at_a_broken_template(
    monkeypatch: pytest.MonkeyPatch, source: str, error: type[TemplateSyntaxError]
) -> None:
    texts = {locale: {**load_texts(locale), "x.broken": source} for locale in LOCALES}
    monkeypatch.setattr("locales.load_texts", texts.__getitem__)
    with pytest.raises(error) as raised:
        Translator(SHANGHAI).check_all()
    assert raised.value.name == f"{LOCALES[0]}:x.broken"


AUDIT_AT = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize("locale", LOCALES)
def test_operator_and_bot_texts_render(locale: str) -> None:
    translator = Translator(SHANGHAI)
    samples = {
        "cli.file_missing": {"path": "orders/x.csv"},
        "cli.orders_bad_file": {"reason": "bad header"},
        "cli.orders_bad_row": {"line": 3, "reason": "bad amount"},
        "cli.orders_summary": {"inserted": 1, "updated": 2, "unchanged": 3, "failed": 0},
        "cli.staff_added": {"telegram_id": 42, "role": "arbitrator"},
        "cli.staff_list_header": {"count": 2},
        "cli.staff_list_row": {"telegram_id": 42, "role": "admin", "bootstrapped": True},
        "cli.staff_removed": {"telegram_id": 42, "role": "agent"},
        "cli.staff_not_found": {"telegram_id": 42},
        "cli.staff_last_admin": {"telegram_id": 42},
        "cli.staff_still_in_admin_ids": {"telegram_id": 42},
        "cli.merchants_list_header": {"count": 1},
        "cli.merchants_list_row": {
            "code": "M1001",
            "name": "星辰卡铺",
            "telegram_id": 42,
            "link_pending": True,
            "open_cases": 2,
        },
        "cli.merchant_not_found": {"code": "M9"},
        "cli.merchant_legal_none": {"code": "M9"},
        "cli.merchant_legal_shown": {
            "code": "M1", "legal_name": "星辰网络", "address": "深圳", "credit_code": "9144"
        },
        "cli.merchant_legal_saved": {
            "code": "M1", "legal_name": "星辰网络", "address": "深圳", "credit_code": "9144"
        },
        "cli.merchant_legal_incomplete": {"code": "M1"},
        "cli.merchant_legal_too_long": {"name": 128, "address": 255},
        "cli.merchant_legal_bad_code": {"credit_code": "9144X", "problem": "check_digit"},
        "staff.admin.operator_added": {"id": 42, "role": "admin", "before": "agent"},
        "staff.admin.operator_removed": {"id": 42, "role": "agent"},
        "staff.admin.operator_unbound": {
            "code": "M1001", "name": "星辰卡铺", "bound": True, "open_cases": 3
        },
        "cli.link_made": {
            "link": "https://t.me/km_bot?start=complain_KM1_t0abcd_AAAAAAAAAAAAAAAA",
            "order_no": "KM1",
            "expires": datetime(2026, 12, 1, tzinfo=UTC),
        },
        "cli.link_bad_order": {"order_no": "KM 1"},
        "cli.merchant_unbound": {
            "code": "M1001",
            "name": "星辰卡铺",
            "telegram_id": 42,
            "open_cases": 2,
        },
        "cli.audit_ok": {"cases": 2, "events": 9},
        "cli.audit_broken": {"case_no": "TS20261126-7K3Q9", "seq": 4},
        "cli.audit_no_history": {"case_no": "TS20261126-7K3Q9"},
        "cli.audit_head": {"case_no": "TS20261126-7K3Q9", "seq": 4},
        "cli.audit_state": {"case_no": "TS20261126-7K3Q9", "seq": 4},
        "cli.audit_orphaned": {"case_no": "TS20261126-7K3Q9"},
        "cli.audit_missing": {"case_no": "TS20261126-7K3Q9", "published_at": AUDIT_AT},
        "cli.audit_rewritten": {"case_no": "TS20261126-7K3Q9", "published_at": AUDIT_AT},
        "cli.audit_heads_root": {"path": "data/audit_heads.jsonl"},
        "cli.audit_unsealed": {"cases": 3},
        "cli.audit_failed": {"failures": 2, "cases": 9},
        "cli.audit_against_ok": {
            "path": "data/audit_heads.jsonl",
            "publications": 3,
            "published_at": AUDIT_AT,
            "root": "ab" * 32,
        },
        "cli.audit_heads_bad": {"path": "h.jsonl", "line": 2, "reason": "not a publication"},
        "cli.audit_heads_unwritable": {"path": "h.jsonl", "reason": "No space left on device"},
        "cli.audit_published": {
            "path": "data/audit_heads.jsonl",
            "cases": 2,
            "events": 9,
            "root": "ab" * 32,
            "staff": False,
        },
        "cli.merchant_added": {
            "code": "M1001",
            "name": "星辰卡铺",
            "link": "https://t.me/complaint_bot?start=m_abc",
            "bound": True,
        },
        "cli.merchant_bad_code": {"code": "M 1"},
        "cli.merchant_bad_name": {"max": 128},
        "cli.merchant_getme_failed": {"reason": "Unauthorized"},
        "cli.merchant_username_mismatch": {"given": "a_bot", "actual": "b_bot"},
        "cli.merchant_bad_username": {"username": "@x"},
        "cli.cases_exported": {"count": 3, "target": "cases.csv"},
        "cli.backup_done": {"target": "copy.db", "kib": 120},
        "cli.backup_no_source": {"source": "data/complaint_bot.db"},
        "cli.backup_target_exists": {"target": "copy.db"},
        "cli.backup_unsound": {"detail": "*** in database main ***"},
        "cli.sandbox_ready": {
            "url": "http://127.0.0.1:8080/",
            "api_url": "http://127.0.0.1:40123",
            "data_dir": "data/sandbox",
        },
        "cli.sandbox_cannot_listen": {"port": 8080, "reason": "Address already in use"},
        "cli.calendar.check_range": {"first": date(2004, 1, 1), "ends": date(2026, 12, 31)},
        "cli.calendar.check_ok": {"warn_days": 60},
        "cli.calendar.check_file_years": {"years": "2027"},
        "cli.calendar.check_soon": {"days_left": 24, "years": "2027"},
        "cli.calendar.check_estimating": {"years": "2027, 2028"},
        "cli.calendar.check_year": {"year": 2027},
        "cli.calendar.check_holiday": {
            "name": "春节", "first": date(2027, 2, 5), "last": date(2027, 2, 12), "days": 8,
        },
    }
    prefixes = ("cli.", "bot.", "staff_role.", "staff.admin.operator_")
    keys = [key for key in load_texts(locale) if key.startswith(prefixes)]
    for key in keys:
        text = translator.render(locale, key, samples.get(key, {}))
        assert text.strip(), key


def test_money_dates_and_user_text_render_exactly_and_escaped() -> None:
    translator = Translator(SHANGHAI)
    late_evening_utc = datetime(2026, 11, 26, 17, 30, tzinfo=UTC)  # already 27 Nov in Shanghai
    env = translator._envs["zh_CN"]  # the filters are the unit under test
    template = env.from_string("{{ a|money('CNY') }} {{ d|date }} {{ d|datetime }} {{ u }}")
    rendered = template.render(a=3001, d=late_evening_utc, u="<i>x</i> & y")
    assert rendered == "30.01 元 2026-11-27 2026-11-27 01:30 &lt;i&gt;x&lt;/i&gt; &amp; y"
    english = translator._envs["en"].from_string("{{ a|money('CNY') }}").render(a=50)
    assert english == "CNY 0.50"
