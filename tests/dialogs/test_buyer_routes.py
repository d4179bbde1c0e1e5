"""The buyer's routing tables: every command Telegram's menu and /help offer has a route, and
every route is offered; every handler says in one line what it does."""

from __future__ import annotations

import re

import pytest

from bot.commands import BUYER_COMMANDS
from dialogs import callbacks as cb
from dialogs.buyer_routes import BUTTONS, COMMANDS
from tests.fakes.chat import Chat

_HELP_LINE = re.compile(r"^/(\w+)", re.MULTILINE)


async def help_commands(chat: Chat, locale: str) -> list[str]:
    """The commands /help names at the start of its lines, in the given locale."""
    answer = await chat.send("/help")
    return _HELP_LINE.findall(answer.text(locale))


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
async def test_help_names_exactly_the_commands_of_the_menu(chat: Chat, locale: str) -> None:
    assert sorted(await help_commands(chat, locale)) == sorted(BUYER_COMMANDS)


@pytest.mark.parametrize("command", BUYER_COMMANDS)
async def test_every_command_of_the_menu_is_answered(chat: Chat, command: str) -> None:
    answer = await chat.send(f"/{command}")

    assert answer.keys
    assert "error.unknown_command" not in answer.keys


def test_every_command_of_the_table_is_in_the_menu() -> None:
    # /help names the menu's commands, so these are in /help as well (the test above).
    assert set(COMMANDS) <= set(BUYER_COMMANDS)
    # The one command of the menu another dialog answers: a buyer's evidence for a filed case.
    assert set(BUYER_COMMANDS) - set(COMMANDS) == {"evidence"}


def test_every_button_of_the_main_menu_has_a_route() -> None:
    for row in cb.main_menu():
        for button in row:
            assert any(cb.suffix(button.data, press.data) is not None for press in BUTTONS), (
                button.data
            )


def test_every_handler_has_a_one_line_imperative_docstring() -> None:
    handlers = [*COMMANDS.values(), *(press.handler for press in BUTTONS)]
    for handler in handlers:
        doc = (handler.__doc__ or "").strip()
        assert doc, handler.__name__
        assert "\n" not in doc, handler.__name__
        assert doc.endswith("."), handler.__name__
        assert doc.split()[0].endswith("s"), f"{handler.__name__}: 'Shows …', 'Asks …'"
