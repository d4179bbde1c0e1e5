"""Every deadline reads one way, in every text and for every audience.

A deadline is an instant; one at local midnight covers the whole day before it and reads
"2026-11-30（含当天）前" / "by 2026-11-30, inclusive" (a promised outcome:
"最晚 2026-11-30（含当天）" / "no later than 2026-11-30, inclusive"); any other instant reads
with its time. Only the
`deadline` filter writes that, so the texts below are found by the parameters that carry a
deadline and rendered with a sample of each kind.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from jinja2 import meta, nodes

from locales import LOCALES, Translator, load_texts

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The parameters (and list-item fields) that carry a deadline instant.
DEADLINE_PARAMS = frozenset({"deadline", "due", "review_due", "next_deadline", "closes"})

MIDNIGHT = datetime(2026, 12, 1, tzinfo=SHANGHAI)  # covers all of 30 November
AFTERNOON = datetime(2026, 12, 1, 15, 30, tzinfo=SHANGHAI)  # a resumed review ends mid-day

EXPECTED = {
    MIDNIGHT: {
        "zh_CN": ("2026-11-30（含当天）前", "最晚 2026-11-30（含当天）"),
        "en": ("by 2026-11-30, inclusive", "no later than 2026-11-30, inclusive"),
    },
    AFTERNOON: {
        "zh_CN": ("2026-12-01 15:30 前", "最晚 2026-12-01 15:30"),
        "en": ("by 2026-12-01 15:30", "no later than 2026-12-01 15:30"),
    },
}

TRANSLATOR = Translator(SHANGHAI)


def _is_deadline(node: nodes.Node) -> bool:
    if isinstance(node, nodes.Name):
        return node.name in DEADLINE_PARAMS
    return isinstance(node, nodes.Getattr) and node.attr in DEADLINE_PARAMS


def _unformatted_deadlines(tree: nodes.Template) -> Iterator[str]:
    """Yields each deadline a template prints other than through the `deadline` filter."""
    formatted = {id(f.node) for f in tree.find_all(nodes.Filter) if f.name == "deadline"}
    for output in tree.find_all(nodes.Output):
        for node in output.find_all((nodes.Name, nodes.Getattr)):
            if _is_deadline(node) and id(node) not in formatted:
                yield node.attr if isinstance(node, nodes.Getattr) else node.name  # type: ignore[attr-defined]


def deadline_keys(locale: str) -> list[str]:
    env = TRANSLATOR._envs[locale]
    keys = []
    for key, source in load_texts(locale).items():
        tree = env.parse(source)
        if any(_is_deadline(node) for node in tree.find_all((nodes.Name, nodes.Getattr))):
            keys.append(key)
    return keys


@pytest.mark.parametrize("locale", LOCALES)
def test_no_text_formats_a_deadline_by_hand(locale: str) -> None:
    env = TRANSLATOR._envs[locale]
    by_hand = {
        key: sorted(set(_unformatted_deadlines(env.parse(source))))
        for key, source in load_texts(locale).items()
    }
    assert {key: names for key, names in by_hand.items() if names} == {}


def test_the_deadline_texts_are_the_ones_expected() -> None:
    keys = set(deadline_keys("zh_CN"))
    assert keys == set(deadline_keys("en"))
    # Every audience: buyer notices, merchant, staff card and queue, reminders, status, filing.
    for key in (
        "filing.submitted",
        "status.case",
        "status.mycases",
        "case.ask_evidence",
        "merchant.case",
        "notice.merchant.asked",
        "notice.staff.new_case",
        "notice.remind.merchant",
        "notice.remind.overdue",
        "staff.card",
        "staff.queue",
        "staff.done.merchant",
        "reminder.draft_window_closing",
    ):
        assert key in keys


def sample_params(template_source: str, locale: str, deadline: datetime) -> dict[str, Any]:
    """A value for every parameter a text names: the deadline under test, plausible others."""
    env = TRANSLATOR._envs[locale]
    tree = env.parse(template_source)
    names = meta.find_undeclared_variables(tree)
    # A list the text loops over and that carries no deadline (missing evidence …) stays empty.
    lists = {f.iter.name for f in tree.find_all(nodes.For) if isinstance(f.iter, nodes.Name)}
    item = {
        "case_no": "TS20261126-7K3Q9",
        "order_no": "A1001",
        "status": "awaiting_merchant",
        "deadline": deadline,
        "next_deadline": deadline,
        "assigned": False,
        "assignee_id": None,
        "refund_amount": 3000,
        "currency": "CNY",
        "created_at": datetime(2026, 11, 26, 11, 0, tzinfo=SHANGHAI),
    }
    known: dict[str, Any] = {
        **item,
        **dict.fromkeys(DEADLINE_PARAMS, deadline),
        "cases": [item],
        "count": 1,
        "updated_at": item["created_at"],
        "reason": "not_delivered",
        "refund_method": "original",
        "cause": "merchant_accept",
        "kind": "merchant",
        "deadline_kind": "merchant",
        "silence": "refund",
        "hours": "24",
        "review_days": 3,
        "manual": True,
        "risk": None,  # staff-only signals: their own texts (risk.*) carry no deadline
        "four_eyes": None,
        "assignee": None,
        "cap_rule": {"percent": "90", "limit": 50000, "cap": 2700},
        "checklist": [],  # a list of items, handed on to the checklist texts
        "matches": [],  # reused screenshots: their texts (fingerprint.*) carry no deadline
        "screens": None,  # what screenshots say: its texts (screen.*) carry no deadline
        "instant": False,  # a case the instant refund rule did not refund quotes its review
        "basis": "not_delivered",  # the instant refund's clear-cut basis
        "until": deadline,  # the end of the merchant's window to contest an instant refund
    }
    amounts = ("amount", "approved", "approved_amount", "offer", "offer_amount", "requested")
    numbers = ("order_amount", "evidence_count", "have")
    params: dict[str, Any] = {}
    for name in names:
        if name in known:
            params[name] = known[name]
        elif name in amounts or name in numbers:
            params[name] = 3000
        elif name in ("max_files", "max_mb", "room"):
            params[name] = 10
        elif name == "new":
            params[name] = 0
        elif name in lists:
            params[name] = []
        else:
            params[name] = "x"
    return params


@pytest.mark.parametrize("deadline", [MIDNIGHT, AFTERNOON], ids=["midnight", "mid-day"])
@pytest.mark.parametrize("locale", LOCALES)
def test_every_text_with_a_deadline_quotes_it_in_the_one_style(
    locale: str, deadline: datetime
) -> None:
    act_by, outcome = EXPECTED[deadline][locale]
    shown_day, wrong_day = (
        ("2026-11-30", "2026-12-01") if deadline is MIDNIGHT else ("2026-12-01", "2026-11-30")
    )
    texts = load_texts(locale)
    for key in deadline_keys(locale):
        text = TRANSLATOR.render(locale, key, sample_params(texts[key], locale, deadline))
        # Each time the day is shown, it is shown in one of the two styles.
        assert text.count(shown_day) >= 1, (key, text)
        assert text.count(shown_day) == text.count(act_by) + text.count(outcome), (key, text)
        assert wrong_day not in text, (key, text)


def test_a_notice_queued_with_a_plain_date_still_reads_as_that_day_inclusive() -> None:
    # Rows queued before deadlines were passed as instants carry the last day already.
    text = TRANSLATOR.render(
        "zh_CN", "notice.remind.review", {"case_no": "X", "due": date(2026, 11, 30), "hours": "2"}
    )
    assert "须在 2026-11-30（含当天）前给出审核结果" in text


def test_an_unknown_deadline_style_is_a_bug_not_a_guess() -> None:
    template = TRANSLATOR._envs["en"].from_string("{{ d|deadline('soon') }}")
    with pytest.raises(ValueError, match="unknown deadline style"):
        template.render(d=MIDNIGHT)
