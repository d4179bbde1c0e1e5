"""The evidence checklist in the filing dialog: ticks per item, what is missing, what staff see."""

from __future__ import annotations

import pytest

from cases.checklist import ChecklistItem
from cases.clock import ManualClock
from cases.policy import Policy
from dialogs.draft import Step
from tests.fakes.chat import Chat, make_env, photo
from tests.fakes.filing_script import reach, saved_session
from tests.fakes.staff import AGENT, StaffChat, seed_staff
from tests.fakes.uow import FakeStore


def ticked(chat: Chat) -> list[str]:
    draft = saved_session(chat.store).draft
    assert draft is not None
    return draft.ticked


async def test_the_evidence_prompt_lists_the_reasons_items_with_a_tick_button_each(
    chat: Chat,
) -> None:
    answer = await reach(chat, Step.EVIDENCE)

    params = answer.params("filing.ask_evidence")
    assert params["checklist"] == [
        {"item": "account_record", "given": False, "required": False},
        {"item": "topup_account", "given": False, "required": False},
    ]
    assert "f:tick:account_record" in answer.buttons
    assert "f:tick:topup_account" in answer.buttons
    assert "☐ 账户页面截图（余额或充值记录）" in answer.text("zh_CN")
    assert "the top-up account id" in answer.text("en")
    assert "未备齐也可以提交" in answer.text("zh_CN")


async def test_a_picture_cannot_be_ticked_before_a_file_is_sent(chat: Chat) -> None:
    await reach(chat, Step.EVIDENCE)

    answer = await chat.click("f:tick:account_record")

    assert answer.keys == ["checklist.needs_file"]
    assert ticked(chat) == []


async def test_a_detail_can_be_ticked_without_a_file_and_untick_takes_it_back(
    chat: Chat,
) -> None:
    await reach(chat, Step.EVIDENCE)

    answer = await chat.click("f:tick:topup_account")
    assert answer.keys == ["checklist.ticked"]
    assert answer.params("checklist.ticked")["missing"] == ["account_record"]
    assert ticked(chat) == ["topup_account"]

    await chat.click("f:tick:topup_account")
    assert ticked(chat) == []


async def test_ticking_every_item_after_a_file_says_the_checklist_is_complete(
    chat: Chat,
) -> None:
    await reach(chat, Step.EVIDENCE)
    await chat.upload(photo(1))
    await chat.click("f:tick:account_record")

    answer = await chat.click("f:tick:topup_account")

    assert "清单上的材料已全部勾选" in answer.text("zh_CN")


async def test_an_item_of_another_reason_is_a_stale_button(chat: Chat) -> None:
    await reach(chat, Step.EVIDENCE)

    answer = await chat.click("f:tick:redeem_error")

    assert answer.keys[0] == "error.stale_button"
    assert ticked(chat) == []


async def test_clearing_the_files_takes_back_the_picture_ticks_only(chat: Chat) -> None:
    await reach(chat, Step.EVIDENCE)
    await chat.upload(photo(1))
    await chat.click("f:tick:account_record")
    await chat.click("f:tick:topup_account")

    await chat.click("f:ev:clear")

    assert ticked(chat) == ["topup_account"]


async def test_the_buyer_can_submit_with_items_missing_and_is_told_which(
    chat: Chat, store: FakeStore
) -> None:
    summary = await reach(chat, Step.SUMMARY)
    assert "材料清单：还缺 账户页面截图（余额或充值记录）、充值账号 ID" in summary.text("zh_CN")

    answer = await chat.click("f:submit")

    assert answer.keys == ["filing.submitted"]
    assert answer.params("filing.submitted")["missing"] == ["account_record", "topup_account"]
    assert "清单上还缺：账户页面截图（余额或充值记录）、充值账号 ID" in answer.text("zh_CN")
    assert "Still missing from the checklist" in answer.text("en")
    [case_no] = store.cases
    first = store.events[case_no][0]
    assert first.extra["checklist"] == "account_record:missing,topup_account:missing"


@pytest.fixture
def strict_chat(store: FakeStore, clock: ManualClock) -> Chat:
    policy = Policy(evidence_required_items=frozenset({ChecklistItem.ACCOUNT_RECORD}))
    return Chat(store, make_env(clock, policy))


async def test_a_required_item_holds_done_until_it_is_ticked(strict_chat: Chat) -> None:
    prompt = await reach(strict_chat, Step.EVIDENCE)
    assert "（必需）" in prompt.text("zh_CN")
    await strict_chat.upload(photo(1))

    held = await strict_chat.click("f:done")
    assert held.keys == ["checklist.required_missing"]
    assert held.params("checklist.required_missing")["items"] == ["account_record"]

    await strict_chat.click("f:tick:account_record")
    answer = await strict_chat.click("f:done")
    assert answer.key == "filing.ask_refund_kind"


async def test_staff_see_what_the_buyer_ticked_on_the_card(
    chat: Chat, store: FakeStore
) -> None:
    await reach(chat, Step.EVIDENCE)
    await chat.upload(photo(1))
    await chat.click("f:tick:account_record")
    await chat.click("f:done")
    await chat.click("f:refund:full")
    await chat.click("f:method:original")
    await chat.click("f:submit")
    [case_no] = store.cases
    seed_staff(store)

    card = await StaffChat(store, chat.env, AGENT).send(f"/case {case_no}")

    assert card.params("staff.card")["checklist"] == [
        {"item": "account_record", "given": True, "required": False},
        {"item": "topup_account", "given": False, "required": False},
    ]
    assert "材料清单（买家勾选）：\n☑ 账户页面截图（余额或充值记录）\n☐ 充值账号 ID" in card.text()


async def test_the_buyers_status_view_names_the_items_still_missing_while_the_case_is_open(
    chat: Chat, store: FakeStore
) -> None:
    await reach(chat, Step.SUMMARY)
    await chat.click("f:submit")
    [case_no] = store.cases

    answer = await chat.send(f"/status {case_no}")

    assert answer.params("status.case")["missing"] == ["account_record", "topup_account"]
    assert "清单上还缺：账户页面截图（余额或充值记录）、充值账号 ID（客服可能要求您补充）" in (
        answer.text("zh_CN")
    )
    assert "Still missing from the checklist" in answer.text("en")
