"""The notice texts: same keys in both files, none missing or dead, every queued one renders.

A tour walks cases through every action and every deadline with the real notifier; each queued
payload is read back and rendered with the real Translator in both locales.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from cases.lifecycle import Action
from cases.model import CaseStatus, DeadlineKind, Merchant, RefundMethod
from cases.policy import MerchantTimeout, Policy
from cases.workflow import Outcome
from dialogs import callbacks as cb
from tests.dialogs.notices_support import NoticeWorld, Sent, by_audience, render_everywhere
from tests.dialogs.test_notices_transitions import ROWS
from tests.fakes.uow import FakeUnitOfWork

ROOT = Path(__file__).resolve().parents[2]
FILES = {locale: ROOT / "locales" / f"notice.{locale}.toml" for locale in ("zh_CN", "en")}
AREAS = ("notice.buyer.", "notice.merchant.", "notice.staff.", "notice.btn.", "notice.remind.")
ALLOWED_TAGS = {"b", "i", "code", "a"}
# Keys the templates complete from a value with t(...): (prefix, every value).
NESTED = {
    "notice.buyer.refund_to.": [method.value for method in RefundMethod],
    "notice.remind.kind.": [kind.value for kind in DeadlineKind],
    "notice.staff.cause.": [
        "merchant_accept", "merchant_timeout", "accept_offer", "approve_refund",
        "rule_for_buyer", "escalate", "other",
    ],
}
NESTED_SINGLE = {
    "notice.buyer.outside_channels", "notice.buyer.arbitration_note", "notice.buyer.payout"
}
# Kept for an action a later lifecycle may add: a status the buyer has no sentence for yet.
FALLBACKS = {"notice.buyer.status_changed"}
A = Action
TO_MERCHANT = [(A.TAKE, "agent", {}), (A.SEND_TO_MERCHANT, "agent", {})]
# Paths that leave a case waiting on each kind of deadline, to run its reminders and expiry.
DEADLINE_PATHS: list[list[tuple[Action, str, dict[str, object]]]] = [
    [],
    [(A.TAKE, "agent", {}), (A.REQUEST_EVIDENCE, "agent", {"note": "截图"})],
    TO_MERCHANT,
    [*TO_MERCHANT, (A.MERCHANT_OFFER, "merchant", {"amount": 2000})],
    [*TO_MERCHANT, (A.MERCHANT_REJECT, "merchant", {"note": "不同意"})],
    [(A.TAKE, "agent", {}), (A.REJECT, "agent", {"note": "不足"}), (A.ESCALATE, "buyer", {})],
    [(A.TAKE, "agent", {}), (A.APPROVE_REFUND, "agent", {"amount": 3000})],
    [(A.TAKE, "agent", {}), (A.SEND_TO_ASSESSMENT, "agent", {"note": "送检测机构鉴定"})],
]


def flat(locale: str) -> dict[str, str]:
    with FILES[locale].open("rb") as handle:
        table = tomllib.load(handle)

    def walk(node: dict[str, object], prefix: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, value in node.items():
            if isinstance(value, dict):
                out |= walk(value, f"{prefix}{key}.")
            else:
                out[f"{prefix}{key}"] = str(value)
        return out

    return walk(table, "")


async def tour() -> list[Sent]:
    """Everything the notifier queues over every transition row and every kind of deadline."""
    sent: list[Sent] = []
    for _name, setup, step, _expected, silence in ROWS:
        world = NoticeWorld(Policy(merchant_timeout=silence))
        await world.file()
        for action, who, kwargs in [*setup, step]:
            await world.step(action, who, **kwargs)
        sent += world.all_sent()
    for setup in DEADLINE_PATHS:
        world = NoticeWorld()
        await world.file()
        for action, who, kwargs in setup:
            await world.step(action, who, **kwargs)
        deadline = world.case.next_deadline_at
        assert deadline is not None
        await world.run_jobs_until(deadline + timedelta(hours=1))
        sent += world.all_sent()
    unbound = NoticeWorld()
    unbound.store.merchants["M01"] = Merchant("M01", "星辰卡铺", None)
    await unbound.file()
    for action, who, kwargs in TO_MERCHANT:
        await unbound.step(action, who, **kwargs)
    sent += unbound.all_sent()
    refused = NoticeWorld()
    await refused.file()
    async with FakeUnitOfWork(refused.store) as uow:
        await refused.notices.payout_refused(uow, refused.case, "buyer account closed")
        await uow.commit()
    sent += refused.all_sent()
    return sent


def used_keys(sent: list[Sent]) -> set[str]:
    keys = {item.key for item in sent}
    keys |= {button.label for item in sent for row in item.reply.buttons for button in row}
    return keys


def test_both_notice_files_have_the_same_keys() -> None:
    zh, en = set(flat("zh_CN")), set(flat("en"))

    assert zh - en == set(), "missing in notice.en.toml"
    assert en - zh == set(), "missing in notice.zh_CN.toml"
    assert all(key.startswith(AREAS) for key in zh)


async def test_every_queued_notice_renders_in_both_locales_and_no_text_is_dead() -> None:
    sent = await tour()

    render_everywhere(sent)
    used = used_keys(sent) | NESTED_SINGLE | FALLBACKS
    used |= {prefix + value for prefix, values in NESTED.items() for value in values}
    assert used - set(flat("zh_CN")) == set(), "queued but missing"
    assert set(flat("zh_CN")) - used == set(), "never queued"


async def test_every_button_on_a_notice_fits_telegrams_64_bytes() -> None:
    sent = await tour()

    data = [button.data for item in sent for row in item.reply.buttons for button in row]
    assert data
    assert all(len(item.encode("utf-8")) <= cb.MAX_CALLBACK_BYTES for item in data)


def test_every_case_action_prefix_leaves_room_for_a_case_number() -> None:
    prefixes = [
        value for name, value in vars(cb).items()
        if name.startswith(("BUYER_", "MERCHANT_", "STAFF_")) and isinstance(value, str)
    ]
    longest_case_no = "TS20261126-7K3Q9"

    assert len(prefixes) >= 22  # the 22 the notices put on buttons, and any added since
    assert all(len((p + longest_case_no).encode()) <= cb.MAX_CALLBACK_BYTES for p in prefixes)
    assert len(set(prefixes)) == len(prefixes)


@pytest.mark.parametrize("locale", list(FILES))
def test_notice_texts_use_only_the_telegram_html_subset(locale: str) -> None:
    for key, template in flat(locale).items():
        tags = set(re.findall(r"</?([a-zA-Z][a-zA-Z0-9]*)", template))
        assert tags <= ALLOWED_TAGS, (key, tags)


def test_chinese_notices_use_the_platform_words() -> None:
    everything = "".join(flat("zh_CN").values())

    for word in ("投诉编号", "原路返回", "平台余额", "补充材料", "平台仲裁", "消费者协会", "12315"):
        assert word in everything, word


@pytest.mark.parametrize(
    ("setup", "step"),
    [
        pytest.param(
            [(A.TAKE, "agent", {})], (A.REJECT, "agent", {"note": "证据不足"}), id="reject"
        ),
        pytest.param(
            [(A.TAKE, "agent", {}), (A.REJECT, "agent", {"note": "x"}), (A.ESCALATE, "buyer", {})],
            (A.RULE_FOR_MERCHANT, "arbitrator", {"note": "商家已证明发货"}),
            id="rule_for_merchant",
        ),
    ],
)
async def test_a_ruling_against_the_buyer_names_the_outside_channels_and_offers_the_file(
    setup: list[tuple[Action, str, dict[str, object]]], step: tuple[Action, str, dict[str, object]]
) -> None:
    world = NoticeWorld()
    await world.file()
    for action, who, kwargs in setup:
        await world.step(action, who, **kwargs)
    world.mark()

    await world.step(step[0], step[1], **step[2])

    buyer = by_audience(world.new_sent())["buyer"]
    n = world.case_no
    assert [f"{cb.BUYER_FILE}{n}", f"{cb.BUYER_DOSSIER}{n}"] in buyer.button_data
    zh, en = buyer.render("zh_CN"), buyer.render("en")
    assert "消费者协会" in zh
    assert "12315" in zh
    assert "consumer association" in en
    assert "12315" in en


async def test_user_text_is_escaped_in_every_notice() -> None:
    world = NoticeWorld()
    await world.file()
    world.store.cases[world.case_no] = replace(world.case, description="<b>急</b> & 退款")
    await world.step(A.TAKE, "agent")
    await world.step(A.SEND_TO_MERCHANT, "agent")
    await world.step(A.MERCHANT_REJECT, "merchant", note="<a href='x'>看这里</a>")

    texts = [item.render(locale) for item in world.all_sent() for locale in FILES]

    joined = "\n".join(texts)
    assert "&lt;b&gt;急&lt;/b&gt; &amp; 退款" in joined
    assert "&lt;a href=" in joined
    assert "<a href" not in joined


async def test_the_buyer_sees_a_midnight_deadline_as_the_day_before_inclusive() -> None:
    world = NoticeWorld()
    await world.file()
    await world.step(A.TAKE, "agent")
    world.mark()

    await world.step(A.SEND_TO_MERCHANT, "agent")

    buyer = by_audience(world.new_sent())["buyer"]
    # Two working days from Thursday 26 November: the end of Monday 30 November.
    assert buyer.reply.params["deadline"].isoformat() == "2026-12-01T00:00:00+08:00"
    assert "商家须在 2026-11-30（含当天）前答复" in buyer.render("zh_CN")
    assert "must answer by 2026-11-30, inclusive" in buyer.render("en")


async def test_an_action_the_notices_do_not_know_still_tells_the_buyer_the_new_status() -> None:
    world = NoticeWorld()
    await world.file()
    outcome = await world.act(A.TAKE, 3001)
    future = Outcome(
        outcome.after,
        replace(outcome.after, status=CaseStatus.SUBMITTED),
        replace(outcome.event, action="reopen", seq=outcome.event.seq + 1),
    )
    world.mark()

    async with FakeUnitOfWork(world.store) as uow:
        await world.notices(uow, future)
        await uow.commit()

    sent = by_audience(world.new_sent())
    assert set(sent) == {"buyer"}
    assert sent["buyer"].key == "notice.buyer.status_changed"
    assert "已提交" in sent["buyer"].render("zh_CN")


def test_merchant_timeout_policy_is_spelled_out_to_buyer_and_merchant() -> None:
    zh = flat("zh_CN")

    for key in ("notice.buyer.sent_to_merchant", "notice.merchant.asked", "notice.remind.merchant"):
        assert f'silence == "{MerchantTimeout.REFUND.value}"' in zh[key], key
