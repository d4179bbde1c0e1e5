"""The Bot API runtimes the bot can run on (BOT_RUNTIME), each an adapter behind one port.

Each adapter is imported only when chosen: a process on one runtime never loads the other
library (aiogram alone builds hundreds of pydantic models on import).
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Literal, get_args

from bot.transport.port import BotPort

Runtime = Literal["aiogram", "ptb"]
RUNTIMES: tuple[Runtime, ...] = get_args(Runtime)
# The distribution whose version the start-up log names.
_PACKAGES: dict[Runtime, str] = {"aiogram": "aiogram", "ptb": "python-telegram-bot"}


def build_port(runtime: Runtime, token: str, api_base: str) -> BotPort:
    """The port on `runtime`, its calls and downloads both going to `api_base`."""
    if runtime == "ptb":
        from bot.transport.ptb_bot import build_ptb_bot

        return build_ptb_bot(token, api_base)
    from bot.transport.aiogram_bot import build_aiogram_bot

    return build_aiogram_bot(token, api_base)


def runtime_label(runtime: Runtime) -> str:
    """The runtime and its library's installed version, e.g. "ptb 22.8"."""
    return f"{runtime} {version(_PACKAGES[runtime])}"
