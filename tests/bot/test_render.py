from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.render import render_reply
from dialogs.types import Button, Reply
from locales import Translator

pytestmark = pytest.mark.backend_independent


def test_button_labels_are_plain_text_and_message_text_is_escaped_html() -> None:
    translator = Translator(ZoneInfo("Asia/Shanghai"))
    reply = Reply(
        key="side.input_dropped",
        params={"case_no": "<b>&"},
        buttons=((Button(label="side.input_dropped", data="x", params={"case_no": "A&B"}),),),
    )
    message = render_reply(translator, "en", reply)
    assert "&lt;b&gt;&amp;" in message.text
    assert message.keyboard is not None
    assert "A&B" in message.keyboard[0][0].text
    assert "&amp;" not in message.keyboard[0][0].text

