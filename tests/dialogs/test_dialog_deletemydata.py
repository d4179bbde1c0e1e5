"""/deletemydata: a confirmed request removes the buyer's personal data, never an open case."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from cases.audit import verify_chain
from cases.clock import ManualClock
from cases.erasure import PERSONAL_DATA_REMOVED, REMOVE_EVIDENCE_FILE_JOB
from cases.lifecycle import Action
from cases.model import CaseStatus, EvidenceStatus, Merchant
from dialogs.case_lookup import LOOKUP_KEY
from dialogs.context import DialogEnv
from dialogs.erasure import CONFIRM_WINDOW
from tests.fakes.chat import NOW, Chat, document, make_order, photo
from tests.fakes.staff import BUYER_ID, file_case, move
from tests.fakes.uow import FakeStore

DIGEST = "ab" * 32
OTHER_BUYER = 4242


@pytest.fixture
async def two_cases(store: FakeStore, env: DialogEnv) -> tuple[str, str]:
    """A withdrawn (final) case with a stored file, and an open one on another order."""
    store.orders["A1002"] = make_order("A1002")
    final = await file_case(store, env, "A1001", evidence=(photo(1), document(n=2)))
    await move(store, env, final, Action.WITHDRAW, BUYER_ID)
    store.evidence[1] = replace(
        store.evidence[1], sha256=DIGEST, stored_path="/ev/ab/x", status=EvidenceStatus.STORED
    )
    open_case = await file_case(store, env, "A1002", evidence=(photo(3),))
    return final, open_case


def _confirm_button(answer_buttons: list[str]) -> str:
    [button] = [data for data in answer_buttons if data.startswith("pd:yes:")]
    return button


async def test_confirming_removes_the_final_cases_text_and_files_and_keeps_the_open_case(
    store: FakeStore, env: DialogEnv, two_cases: tuple[str, str]
) -> None:
    final, open_case = two_cases
    chat = Chat(store, env, user_id=BUYER_ID)
    open_before = store.cases[open_case]
    events_before = list(store.events[final])
    asked = await chat.send("/deletemydata")
    assert asked.params("privacy.erase_confirm")["open_cases"] == [open_case]
    assert asked.params("privacy.erase_confirm")["final_cases"] == 1
    assert "pd:no" in asked.buttons

    done = await chat.click(_confirm_button(asked.buttons))

    params = done.params("privacy.erased")
    assert (params["anonymised"], params["kept"]) == ([final], [open_case])
    assert params["evidence_removed"] == 2
    for locale in ("zh_CN", "en"):
        assert open_case in done.text(locale)
        assert final in done.text(locale)
    assert store.cases[open_case] == open_before  # untouched
    assert [e.status for e in store.evidence.values() if e.case_no == open_case] == [
        EvidenceStatus.RECEIVED
    ]
    anonymised = store.cases[final]
    assert anonymised.description == ""
    assert anonymised.personal_data_removed_at == NOW
    removed = [e for e in store.evidence.values() if e.case_no == final]
    assert {e.status for e in removed} == {EvidenceStatus.REMOVED}
    assert all(e.file.file_id == "" and e.file.file_name is None for e in removed)
    assert removed[0].sha256 == DIGEST  # what was shown stays provable
    # History: nothing rewritten, one event appended, and the whole chain still verifies.
    events = store.events[final]
    assert events[: len(events_before)] == events_before
    assert events[-1].action == PERSONAL_DATA_REMOVED
    assert (events[-1].actor_id, events[-1].note) == (None, "")
    assert verify_chain(events) is None
    jobs = [job for job in store.pending_jobs() if job.kind == REMOVE_EVIDENCE_FILE_JOB]
    assert [job.payload for job in jobs] == [{"sha256": DIGEST}]
    assert [(n_final, kept, files) for _, n_final, kept, files in store.erasures] == [(1, 1, 2)]
    assert BUYER_ID not in store.users
    assert BUYER_ID not in store.drafts


async def test_the_profile_and_draft_are_gone_and_the_buyer_starts_afresh(
    store: FakeStore, env: DialogEnv
) -> None:
    chat = Chat(store, env, user_id=BUYER_ID)
    await chat.send("/language")
    await chat.click("lang:en")
    await chat.send("/complain A1001")
    asked = await chat.send("/deletemydata")
    assert asked.params("privacy.erase_confirm")["draft"] is True
    done = await chat.click(_confirm_button(asked.buttons))
    assert done.params("privacy.erased")["draft"] is True
    # Only the dialog's own update touched the profile; the removal deleted it after that.
    assert BUYER_ID not in store.users
    assert BUYER_ID not in store.drafts
    again = await chat.send("/start")
    assert again.keys == ["menu.main"]  # no "continue your complaint?" offer


async def test_keeping_removes_nothing_and_asks_the_open_filing_question_again(
    store: FakeStore, env: DialogEnv, two_cases: tuple[str, str]
) -> None:
    final, _ = two_cases
    chat = Chat(store, env, user_id=BUYER_ID)
    await chat.send("/complain A1001")
    asked = await chat.send("/deletemydata")
    kept = await chat.click("pd:no")
    assert kept.keys[0] == "privacy.erase_kept"
    assert len(kept.keys) == 2  # then the filing question again
    assert store.cases[final].description != ""
    assert store.erasures == []
    # The old confirm button is void once "keep" was pressed.
    late = await chat.click(_confirm_button(asked.buttons))
    assert late.keys[0] == "privacy.erase_stale"
    assert store.erasures == []


async def test_pressing_confirm_twice_removes_once_and_the_second_press_is_stale(
    store: FakeStore, env: DialogEnv, two_cases: tuple[str, str]
) -> None:
    final, _ = two_cases
    chat = Chat(store, env, user_id=BUYER_ID)
    button = _confirm_button((await chat.send("/deletemydata")).buttons)
    await chat.click(button)
    events = len(store.events[final])
    second = await chat.click(button)
    assert second.keys == ["privacy.erase_stale"]
    assert len(store.erasures) == 1
    assert len(store.events[final]) == events


async def test_a_confirm_button_older_than_the_window_is_stale(
    store: FakeStore, env: DialogEnv, clock: ManualClock, two_cases: tuple[str, str]
) -> None:
    final, _ = two_cases
    chat = Chat(store, env, user_id=BUYER_ID)
    button = _confirm_button((await chat.send("/deletemydata")).buttons)
    clock.advance(CONFIRM_WINDOW + timedelta(seconds=1))
    assert (await chat.click(button)).keys == ["privacy.erase_stale"]
    assert store.cases[final].personal_data_removed_at is None


async def test_another_users_press_removes_nothing_of_anyone(
    store: FakeStore, env: DialogEnv, two_cases: tuple[str, str]
) -> None:
    final, _ = two_cases
    owner = Chat(store, env, user_id=BUYER_ID)
    button = _confirm_button((await owner.send("/deletemydata")).buttons)
    stranger = Chat(store, env, user_id=OTHER_BUYER)
    await stranger.send("/start")
    assert (await stranger.click(button)).keys == ["privacy.erase_stale"]
    assert store.cases[final].personal_data_removed_at is None
    assert store.erasures == []
    assert {OTHER_BUYER, BUYER_ID} <= set(store.users)
    # The owner's own request is still valid.
    done = await owner.click(button)
    assert done.params("privacy.erased")["anonymised"] == [final]


async def test_failed_checks_that_still_hold_a_lock_are_kept_and_old_ones_deleted(
    store: FakeStore, env: DialogEnv
) -> None:
    store.failures[(BUYER_ID, "A1001")] = [NOW - timedelta(minutes=5)] * 3  # locked now
    store.failures[(BUYER_ID, "OLD1")] = [NOW - timedelta(days=3)]
    store.failures[(BUYER_ID, LOOKUP_KEY)] = [NOW - timedelta(days=2)]
    store.failures[(OTHER_BUYER, "OLD1")] = [NOW - timedelta(days=3)]
    chat = Chat(store, env, user_id=BUYER_ID)
    done = await chat.click(_confirm_button((await chat.send("/deletemydata")).buttons))
    assert done.params("privacy.erased")["attempts_kept"] is True
    assert set(store.failures) == {(BUYER_ID, "A1001"), (OTHER_BUYER, "OLD1")}
    locked = await chat.send("/complain A1001")
    assert "filing.ownership_locked" in locked.keys  # removing data gave no fresh guesses


async def test_a_second_request_after_the_cases_ended_anonymises_the_newly_final_one(
    store: FakeStore, env: DialogEnv, two_cases: tuple[str, str]
) -> None:
    final, open_case = two_cases
    chat = Chat(store, env, user_id=BUYER_ID)
    await chat.click(_confirm_button((await chat.send("/deletemydata")).buttons))
    await move(store, env, open_case, Action.WITHDRAW, BUYER_ID)
    assert store.cases[open_case].status is CaseStatus.WITHDRAWN
    done = await chat.click(_confirm_button((await chat.send("/deletemydata")).buttons))
    assert done.params("privacy.erased")["anonymised"] == [open_case]  # not the first again
    assert len([e for e in store.events[final] if e.action == PERSONAL_DATA_REMOVED]) == 1


async def test_deleting_between_wrong_answers_gives_no_fresh_guesses(
    store: FakeStore, env: DialogEnv
) -> None:
    chat = Chat(store, env, user_id=BUYER_ID)
    await chat.send("/complain A1001")
    await chat.send("somebody_else")
    await chat.send("another_guess")
    await chat.click(_confirm_button((await chat.send("/deletemydata")).buttons))
    await chat.send("/complain A1001")
    third = await chat.send("third_guess")
    assert "filing.ownership_locked" in third.keys


async def test_the_confirmation_is_in_the_language_chosen_with_language_not_telegrams(
    store: FakeStore, env: DialogEnv
) -> None:
    chat = Chat(store, env, user_id=BUYER_ID, language_code="zh-hans")
    await chat.send("/language")
    await chat.click("lang:en")
    asked = await chat.send("/deletemydata")
    assert asked.locale == "en"
    done = await chat.click(_confirm_button(asked.buttons))
    assert done.keys == ["privacy.erased"]
    # The profile that held the choice is gone, yet its own confirmation keeps the choice.
    assert BUYER_ID not in store.users
    assert done.locale == "en"


async def test_a_staff_member_is_refused_with_how_to_give_up_the_role(
    store: FakeStore, env: DialogEnv, two_cases: tuple[str, str]
) -> None:
    final, _ = two_cases
    store.staff[BUYER_ID] = "admin"
    chat = Chat(store, env, user_id=BUYER_ID)
    refused = await chat.send("/deletemydata")
    assert refused.keys == ["privacy.erase_refused"]
    assert not [data for data in refused.buttons if data.startswith("pd:yes:")]
    assert f"complaint-bot staff remove {BUYER_ID}" in refused.text("en")
    assert f"/staff remove {BUYER_ID}" in refused.text("zh_CN")
    assert store.staff[BUYER_ID] == "admin"
    assert BUYER_ID in store.users
    assert store.erasures == []
    # Once the role is given up, the request goes through as for any buyer.
    del store.staff[BUYER_ID]
    asked = await chat.send("/deletemydata")
    done = await chat.click(_confirm_button(asked.buttons))
    assert done.params("privacy.erased")["anonymised"] == [final]


async def test_a_bound_merchant_is_refused_and_stays_bound(
    store: FakeStore, env: DialogEnv
) -> None:
    store.merchants["M1001"] = Merchant("M1001", "星辰<卡铺>", BUYER_ID)
    chat = Chat(store, env, user_id=BUYER_ID)
    refused = await chat.send("/deletemydata")
    assert refused.keys == ["privacy.erase_refused"]
    text = refused.text("en")
    assert "complaint-bot merchants unbind M1001" in text
    assert "星辰&lt;卡铺&gt;" in text  # the shop's name is escaped
    assert "staff remove" not in text
    assert store.merchants["M1001"].telegram_user_id == BUYER_ID
    assert store.erasures == []


async def test_a_role_granted_between_question_and_press_refuses_the_press(
    store: FakeStore, env: DialogEnv, two_cases: tuple[str, str]
) -> None:
    final, _ = two_cases
    chat = Chat(store, env, user_id=BUYER_ID)
    button = _confirm_button((await chat.send("/deletemydata")).buttons)
    store.staff[BUYER_ID] = "agent"
    pressed = await chat.click(button)
    assert pressed.keys == ["privacy.erase_refused"]
    assert store.cases[final].personal_data_removed_at is None
    assert store.erasures == []
    del store.staff[BUYER_ID]
    assert (await chat.click(button)).keys == ["privacy.erase_stale"]  # void once refused
