"""The README's commands exist as shown: every `complaint-bot …` and `make …` it names.

What each command does is tested where it is built (tests/bot/test_cli*.py, tests/e2e, the
stories); this keeps the README from naming a command, subcommand, option or make target that
is not there, and keeps the two commands first.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")

# A subcommand word; the first token that is not one (a placeholder, an option, `&`) ends the path.
_WORD = re.compile(r"[a-z][a-z-]*")


def cli_commands() -> list[str]:
    """Every `complaint-bot …` the README shows, up to the end of its line or code span."""
    found = re.findall(r"complaint-bot((?: [^`\n|#&]+)+)", README)
    return sorted({f"complaint-bot{tail}".strip() for tail in found})


def help_of(words: list[str]) -> str:
    """The --help text of a subcommand path; fails the test if argparse does not know it."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exited:
        build_parser().parse_args([*words, "--help"])
    assert exited.value.code == 0, words
    return out.getvalue()


def test_the_readme_starts_with_the_two_commands() -> None:
    first_block = README.split("```")[1]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()[1:]]
    assert [c for c in commands if c] == ["make run", "make test"]


def test_the_readme_names_its_commands() -> None:
    # The scan would pass vacuously if it found nothing.
    assert len(cli_commands()) >= 8


@pytest.mark.parametrize("command", cli_commands())
def test_every_cli_command_in_the_readme_exists_with_its_options(command: str) -> None:
    tokens = command.split()[1:]
    words: list[str] = []
    for token in tokens:
        if not _WORD.fullmatch(token):
            break
        words.append(token)
    usage = help_of(words)
    for option in (t for t in tokens if t.startswith("--")):
        name = option.strip("[]").split("=")[0]
        assert name in usage, f"{command}: {name} is not an option of {' '.join(words)}"


@pytest.mark.parametrize("target", sorted(set(re.findall(r"\bmake (\w+)", README))))
def test_every_make_target_in_the_readme_exists(target: str) -> None:
    assert re.search(rf"^{target}:", MAKEFILE, re.MULTILINE), target


def test_the_settings_table_lists_every_setting() -> None:
    table = README.split("## Settings", 1)[1].split("\n## ", 1)[0]
    missing = [f.upper() for f in Settings.model_fields if f"`{f.upper()}`" not in table]
    assert missing == []
