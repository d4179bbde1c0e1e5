"""The web chat's message HTML: Telegram's tags from the entities, every character escaped."""

from __future__ import annotations

import pytest

from sandbox.botapi.markup import parse_html
from sandbox.web.formatting import entities_to_html


def roundtrip(telegram_html: str) -> str:
    """What the page gets for a text the bot sent with parse_mode=HTML."""
    return entities_to_html(*parse_html(telegram_html))


def test_telegram_tags_come_back_as_telegram_tags() -> None:
    sent = (
        "<b>投诉</b> <i>i</i> <u>u</u> <s>s</s> <code>TS1</code> <pre>block</pre> "
        '<a href="https://example.com/a?b=1">link</a> <tg-spoiler>secret</tg-spoiler> '
        "<blockquote>quoted</blockquote>"
    )
    assert roundtrip(sent) == (
        "<b>投诉</b> <i>i</i> <u>u</u> <s>s</s> <code>TS1</code> <pre>block</pre> "
        '<a href="https://example.com/a?b=1">link</a> <tg-spoiler>secret</tg-spoiler> '
        "<blockquote>quoted</blockquote>"
    )


def test_synonyms_nesting_and_a_code_language() -> None:
    assert roundtrip("<strong>a<em>b</em></strong><del>c</del>") == "<b>a<i>b</i></b><s>c</s>"
    assert roundtrip('<pre><code class="language-python">x = 1</code></pre>') == (
        '<pre><code class="language-python">x = 1</code></pre>'
    )


def test_text_that_looks_like_html_stays_text() -> None:
    # The bot escaped a buyer's description; it reaches the page escaped again, never as markup.
    sent = "说明：&lt;script&gt;alert(1)&lt;/script&gt; &amp; <b>&lt;img src=x onerror=y&gt;</b>"
    assert roundtrip(sent) == sent


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<b>x</b>", "vbscript:x"])
def test_a_link_that_could_run_code_is_plain_text(url: str) -> None:
    assert entities_to_html(
        "click", [{"type": "text_link", "offset": 0, "length": 5, "url": url}]
    ) == ("click")


def test_a_quote_in_a_link_cannot_leave_the_attribute() -> None:
    url = 'https://x.test/"onmouseover="alert(1)'
    entity = {"type": "text_link", "offset": 0, "length": 1, "url": url}
    assert entities_to_html("x", [entity]) == (
        '<a href="https://x.test/&quot;onmouseover=&quot;alert(1)">x</a>'
    )


def test_offsets_count_utf16_units_as_telegram_does() -> None:
    text, entities = parse_html("😀 <b>粗体</b> 🎉<i>x</i>")
    assert entities_to_html(text, entities) == "😀 <b>粗体</b> 🎉<i>x</i>"


def test_overlapping_entities_are_split_into_well_nested_tags() -> None:
    entities = [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "italic", "offset": 2, "length": 4},
    ]
    assert entities_to_html("abcdef", entities) == "<b>ab<i>cd</i></b><i>ef</i>"


def test_unknown_broken_or_out_of_range_entities_are_ignored() -> None:
    entities = [
        {"type": "mention", "offset": 0, "length": 2},
        {"type": "custom_emoji", "offset": 0, "length": 1, "custom_emoji_id": "1"},
        {"type": "bold", "offset": 3, "length": 99},
        {"type": "bold", "offset": "0", "length": 1},
        {"type": "italic", "offset": 1, "length": 0},
        {"type": "<script>", "offset": 0, "length": 1},
    ]
    assert entities_to_html("a<b", entities) == "a&lt;b"
    assert entities_to_html("plain", None) == "plain"
