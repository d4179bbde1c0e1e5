"""The Bot API method table: messages (messages.py) plus the bot's profile, files and chats."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from .files import MAX_DOWNLOAD_SIZE
from .messages import MESSAGE_METHODS, Params, Uploads
from .state import BotAPIError, BotState

Handler = Callable[[BotState, Params, Uploads], Any]

_COMMAND = re.compile(r"[a-z0-9_]{1,32}")


def get_me(state: BotState, params: Params, uploads: Uploads) -> Any:
    return state.bot_user


def _commands_key(params: Params) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")


def set_my_commands(state: BotState, params: Params, uploads: Uploads) -> Any:
    commands = params.get("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise BotAPIError(400, "Bad Request: can't parse commands JSON object")
    for command in commands:
        if not _COMMAND.fullmatch(str(command.get("command", ""))):
            raise BotAPIError(400, "Bad Request: BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise BotAPIError(400, "Bad Request: command description is empty or too long")
    state.commands[_commands_key(params)] = commands
    return True


def get_my_commands(state: BotState, params: Params, uploads: Uploads) -> Any:
    return state.commands.get(_commands_key(params), [])


def delete_my_commands(state: BotState, params: Params, uploads: Uploads) -> Any:
    state.commands.pop(_commands_key(params), None)
    return True


def set_chat_menu_button(state: BotState, params: Params, uploads: Uploads) -> Any:
    chat_id = params.get("chat_id")
    key = None if chat_id is None else state.resolve_chat(chat_id).id
    state.menu_buttons[key] = params.get("menu_button") or {"type": "default"}
    return True


def get_chat_menu_button(state: BotState, params: Params, uploads: Uploads) -> Any:
    chat_id = params.get("chat_id")
    key = None if chat_id is None else state.resolve_chat(chat_id).id
    return state.menu_buttons.get(key) or state.menu_buttons.get(None) or {"type": "commands"}


def get_file(state: BotState, params: Params, uploads: Uploads) -> Any:
    stored = state.files.get(str(params.get("file_id", "")))
    if stored is None:
        raise BotAPIError(400, "Bad Request: invalid file_id")
    if stored.file_size > MAX_DOWNLOAD_SIZE:
        raise BotAPIError(400, "Bad Request: file is too big")
    return stored.as_file()


def get_chat(state: BotState, params: Params, uploads: Uploads) -> Any:
    chat_id = params.get("chat_id")
    try:
        known = state.chats.get(int(chat_id))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        known = None
    # getChat never invents a chat: Telegram only knows chats the bot has seen.
    chat = known or (state.resolve_chat(chat_id) if str(chat_id).startswith("@") else None)
    if chat is None:
        raise BotAPIError(400, "Bad Request: chat not found")
    return chat.as_full_info()


def answer_callback_query(state: BotState, params: Params, uploads: Uploads) -> Any:
    query_id = str(params.get("callback_query_id", ""))
    if query_id not in state.open_callback_queries:
        raise BotAPIError(
            400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
        )
    state.open_callback_queries.discard(query_id)
    return True


def send_chat_action(state: BotState, params: Params, uploads: Uploads) -> Any:
    state.sendable_chat(params.get("chat_id"))
    return True


METHODS: dict[str, Handler] = {
    **MESSAGE_METHODS,
    "getme": get_me,
    "setmycommands": set_my_commands,
    "getmycommands": get_my_commands,
    "deletemycommands": delete_my_commands,
    "setchatmenubutton": set_chat_menu_button,
    "getchatmenubutton": get_chat_menu_button,
    "getfile": get_file,
    "getchat": get_chat,
    "answercallbackquery": answer_callback_query,
    "sendchataction": send_chat_action,
}
