"""Outbox payloads: a reply written to the table comes back as the same reply, dates included."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

import pytest

from bot.outbox import payload_for, reply_from_payload
from bot.render import render_reply
from dialogs.types import Button, FileReply, Reply
from locales import Translator

pytestmark = pytest.mark.backend_independent

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Status(StrEnum):
    IN_REVIEW = "in_review"


def through_json(payload: dict[str, object]) -> dict[str, object]:
    """What the JSON column gives back."""
    loaded: dict[str, object] = json.loads(json.dumps(payload))
    return loaded


FULL = {"cap_amount": 1250, "order_amount": 1250}


def status_reply() -> Reply:
    return Reply(
        "status.case",
        {
            "case_no": "TS20261126-7K3Q9",
            "status": Status.IN_REVIEW,
            "order_no": "A1",
            "reason": "not_delivered",
            "refund_amount": 1250,
            "refund_method": "original",
            "currency": "CNY",
            "evidence_count": 2,
            "created_at": datetime(2026, 11, 26, 2, 30, tzinfo=UTC),
            "updated_at": datetime(2026, 11, 26, 18, 5, tzinfo=SHANGHAI),
            "next_deadline": date(2026, 12, 1),
            "missing": [],
        },
        ((Button("btn.refund_full", "b:full", {**FULL, "currency": "CNY"}),),),
    )


def test_a_reply_survives_the_round_trip_through_json() -> None:
    reply = status_reply()
    locale, back = reply_from_payload(through_json(payload_for("zh_CN", reply)))
    assert locale == "zh_CN"
    assert back == Reply(reply.key, {**reply.params, "status": "in_review"}, reply.buttons)
    assert isinstance(back.params["created_at"], datetime)
    assert back.params["created_at"].tzinfo is not None
    assert type(back.params["next_deadline"]) is date


def test_a_reply_from_the_table_renders_exactly_as_the_original() -> None:
    translator = Translator(SHANGHAI)
    reply = status_reply()
    locale, back = reply_from_payload(through_json(reply.to_payload("en")))
    assert render_reply(translator, locale, back) == render_reply(translator, "en", reply)
    text = render_reply(translator, locale, back).text
    assert "2026-11-26 10:30" in text  # the UTC datetime shown in the platform's time zone
    assert "2026-12-01" in text


def test_dates_nested_in_lists_and_objects_come_back_as_dates() -> None:
    due = datetime(2026, 12, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    reply = Reply("status.mycases", {"count": 1, "cases": [{"case_no": "TS1", "due": due}]})
    _, back = reply_from_payload(through_json(reply.to_payload("zh_CN")))
    assert back.params["cases"] == [{"case_no": "TS1", "due": due}]


def test_a_file_reply_comes_back_as_the_same_file() -> None:
    reply = FileReply(
        "case.evidence_caption", {"n": 2}, file_kind="photo", file_id="AgACAgIAAx0"
    )
    locale, back = reply_from_payload(through_json(reply.to_payload("en")))
    assert (locale, back) == ("en", reply)
    assert isinstance(back, FileReply)


def test_the_payload_is_the_documented_shape() -> None:
    payload = Reply("menu.cancelled").to_payload("en")
    assert payload == {"locale": "en", "key": "menu.cancelled", "params": {}, "buttons": []}


@pytest.mark.parametrize(
    "value",
    [datetime(2026, 1, 1, 12, 0), Decimal("1.50"), b"bytes", object()],  # noqa: DTZ001
    ids=["naive datetime", "Decimal", "bytes", "object"],
)
def test_values_that_would_not_come_back_the_same_are_refused_when_queued(value: object) -> None:
    with pytest.raises(TypeError):
        Reply("menu.cancelled", {"value": value}).to_payload("zh_CN")


@pytest.mark.parametrize(
    "payload",
    [
        {"key": "menu.cancelled"},
        {"locale": "en"},
        {"locale": "en", "key": 5},
        {"locale": "en", "key": "k", "params": []},
        {"locale": "en", "key": "k", "buttons": [[{"label": "btn.done"}]]},
        {"locale": "en", "key": "k", "buttons": "no"},
        {"locale": "en", "key": "k", "file": {"kind": "photo"}},
        {"locale": "en", "key": "k", "file": {"kind": "photo", "id": 7}},
        {"locale": "en", "key": "k", "file": "AgAD"},
    ],
)
def test_a_malformed_payload_is_a_value_error(payload: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="payload"):
        reply_from_payload(payload)
