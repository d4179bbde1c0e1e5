"""Turns reply descriptions from dialogs/ into messages for the Bot API port."""

from __future__ import annotations

import html
from dataclasses import dataclass

from bot.transport.port import Keyboard, KeyButton
from dialogs.types import Reply
from locales import Translator


@dataclass(frozen=True)
class RenderedMessage:
    text: str
    keyboard: Keyboard | None
    locale: str = ""  # the text's, for a picture drawn at send time (a stats chart)


def render_reply(translator: Translator, locale: str, reply: Reply) -> RenderedMessage:
    text = translator.render(locale, reply.key, reply.params)
    keyboard = None
    if reply.buttons:
        keyboard = tuple(
            tuple(
                KeyButton(
                    # Button labels are plain text to Telegram: undo the HTML escaping.
                    text=html.unescape(translator.render(locale, button.label, button.params)),
                    callback_data=button.data,
                )
                for button in row
            )
            for row in reply.buttons
        )
    return RenderedMessage(text=text, keyboard=keyboard, locale=locale)
