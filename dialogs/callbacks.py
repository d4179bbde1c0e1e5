"""Callback data on inline buttons: short, namespaced, and at most 64 bytes (Telegram's limit).

`f:` filing steps, `m:` the /start menu, `lang:` the language picker, `s:` show one case.
"""

from __future__ import annotations

from typing import Final

from dialogs.types import Button

MAX_CALLBACK_BYTES: Final = 64

# Filing (interpreted against the current filing step; anything else is a stale button).
REASON: Final = "f:reason:"  # + Reason value
BACK: Final = "f:back"
CANCEL: Final = "f:cancel"
KEEP: Final = "f:keep"  # keep the value already entered for this step
DONE: Final = "f:done"  # no more evidence files
CLEAR_EVIDENCE: Final = "f:ev:clear"
REFUND: Final = "f:refund:"  # + RefundKind value
METHOD: Final = "f:method:"  # + RefundMethod value
EDIT: Final = "f:edit:"  # + EditField value
SUBMIT: Final = "f:submit"
RESUME: Final = "f:resume"  # continue the saved draft
RESTART: Final = "f:restart"  # drop the saved draft and start again

# The /start menu.
MENU: Final = "m:"
MENU_COMPLAIN: Final = "m:complain"
MENU_MYCASES: Final = "m:mycases"
MENU_LANGUAGE: Final = "m:language"
MENU_HELP: Final = "m:help"
MENU_HOME: Final = "m:home"

LANGUAGE: Final = "lang:"  # + locale id
CASE: Final = "s:"  # + case number


def button(label: str, data: str, **params: object) -> Button:
    if len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
    return Button(label=label, data=data, params=params)


def suffix(data: str, prefix: str) -> str | None:
    """Returns what follows `prefix` in `data`, or None when `data` is not that button."""
    if prefix.endswith(":"):
        return data[len(prefix) :] if data.startswith(prefix) else None
    return "" if data == prefix else None


def main_menu() -> tuple[tuple[Button, ...], ...]:
    """The /start menu: file a complaint, my cases, language, help."""
    return (
        (button("btn.complain", MENU_COMPLAIN), button("btn.mycases", MENU_MYCASES)),
        (button("btn.language", MENU_LANGUAGE), button("btn.help", MENU_HELP)),
    )
