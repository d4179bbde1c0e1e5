"""Every refusal, move, role and timeline action the staff dialog can name has a text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cases.lifecycle import Refusal
from cases.model import ActorKind, DeadlineKind
from dialogs.staff_actions import MOVES, STAFF_ROLES, Input
from dialogs.staff_card import BUTTON_LABELS, KNOWN_ACTIONS
from locales import load_texts
from tests.fakes.chat import translator


@pytest.mark.parametrize(
    "key",
    [
        *(f"staff.refusal.{refusal.value}" for refusal in Refusal),
        *(f"staff.move.{name}" for name in MOVES),
        *(f"staff.done.{name}" for name in MOVES),
        *(f"staff.ask.{name}" for name, move in MOVES.items() if move.needs is not Input.NONE),
        *(f"staff.role.{role}" for role in STAFF_ROLES),
        *(f"staff.action.{action}" for action in sorted(KNOWN_ACTIONS)),
        *(f"staff.deadline.{kind.value}" for kind in DeadlineKind),
    ],
)
def test_the_text_exists_in_every_locale(key: str) -> None:
    assert translator().has(key)


ROOT = Path(__file__).resolve().parents[2]
_LITERAL = re.compile(r"""["'](staff\.[a-z_.]+[a-z_])["']""")
# Usage texts are named by the move, so /tomerchant's is "merchant".
_COMMANDS_WITH_USAGE = ("case", "take", "assign", "note", "reject", "approve", "request",
                        "merchant", "rule", "paid", "confirm", "dismiss",
                        "assess", "assessed")


def staff_texts(locale: str) -> dict[str, str]:
    return {key: text for key, text in load_texts(locale).items() if key.startswith("staff.")}


def named_keys() -> set[str]:
    """The keys the staff code names literally or builds from a known set of values."""
    found: set[str] = set()
    # The operator's commands tell the staff chat what they changed (bot/cli_accounts.py).
    sources = [*(ROOT / "dialogs").glob("staff*.py"), *(ROOT / "bot").glob("cli*.py")]
    for path in sources:
        found |= set(_LITERAL.findall(path.read_text(encoding="utf-8")))
    found |= {f"staff.refusal.{refusal.value}" for refusal in Refusal}
    found |= {f"staff.{part}.{name}" for part in ("move", "done") for name in MOVES}
    found |= {f"staff.ask.{name}" for name, move in MOVES.items() if move.needs is not Input.NONE}
    found |= {f"staff.usage.{command}" for command in _COMMANDS_WITH_USAGE}
    found |= {f"staff.btn.{label}" for label in BUTTON_LABELS}
    found |= {f"staff.role.{role}" for role in STAFF_ROLES}
    found |= {f"staff.actor.{kind.value}" for kind in ActorKind}
    found |= {f"staff.action.{action}" for action in KNOWN_ACTIONS}
    found |= {f"staff.deadline.{kind.value}" for kind in DeadlineKind}
    return found


def test_no_staff_text_is_dead_or_missing() -> None:
    texts = set(staff_texts("zh_CN"))
    assert texts - named_keys() == set()
    assert named_keys() - texts == set()


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_staff_texts_use_only_the_telegram_html_subset(locale: str) -> None:
    for key, template in staff_texts(locale).items():
        tags = set(re.findall(r"</?([a-zA-Z][a-zA-Z0-9]*)", template))
        assert tags <= {"b", "i", "code"}, (key, tags)


def test_chinese_staff_texts_use_the_platform_words() -> None:
    everything = "".join(staff_texts("zh_CN").values())
    for word in ("投诉编号", "客服", "仲裁员", "管理员", "补充材料", "平台仲裁"):
        assert word in everything, word
