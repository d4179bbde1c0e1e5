"""Submitting: exactly one case, its number, its first event, its evidence jobs; drafts survive."""

from __future__ import annotations

from datetime import datetime, timedelta

from cases.audit import GENESIS_HASH, verify_chain
from cases.clock import ManualClock
from cases.filing import Submission, submit_complaint
from cases.model import ActorKind, CaseStatus, Reason, RefundKind, RefundMethod
from cases.numbering import CASE_NO_PATTERN
from dialogs.buyer import handle
from dialogs.context import DialogEnv, UserCtx
from dialogs.draft import Step
from dialogs.types import ButtonIn, CommandIn, TextIn
from tests.fakes.chat import NOW, SHANGHAI, Chat, make_order, photo
from tests.fakes.filing_script import DESCRIPTION, reach, saved_session, saved_step
from tests.fakes.uow import FakeStore, FakeUnitOfWork


async def submit(chat: Chat) -> str:
    await reach(chat, Step.SUMMARY)
    answer = await chat.click("f:submit")
    assert answer.keys == ["filing.submitted"]
    case_no = answer.params("filing.submitted")["case_no"]
    assert isinstance(case_no, str)
    return case_no


async def test_submit_files_the_case_and_shows_its_number_and_review_date(chat: Chat) -> None:
    await reach(chat, Step.SUMMARY)

    answer = await chat.click("f:submit")

    params = answer.params("filing.submitted")
    assert CASE_NO_PATTERN.fullmatch(params["case_no"])
    # Paid 2026-11-25 20:00 in Shanghai: the number carries the payment's local date.
    assert params["case_no"].startswith("TS20261125-")
    # Filed Thursday 26 Nov: Fri 27, Mon 30, Tue 1 Dec are the three working days.
    assert params["review_due"] == datetime(2026, 12, 2, tzinfo=SHANGHAI)
    assert params["review_days"] == 3
    assert f"s:{params['case_no']}" in answer.buttons
    assert saved_session(chat.store).draft is None


async def test_the_case_holds_every_answer(store: FakeStore, chat: Chat) -> None:
    case_no = await submit(chat)

    case = store.cases[case_no]
    assert case.buyer_id == 1001
    assert case.order_no == "A1001"
    assert case.status is CaseStatus.SUBMITTED
    assert case.reason is Reason.NOT_DELIVERED
    assert case.description == DESCRIPTION
    assert case.refund_amount == 1250
    assert case.refund_method is RefundMethod.ORIGINAL
    assert case.currency == "CNY"
    assert case.evidence_count == 1
    assert case.created_at == NOW
    assert case.review_due_at == datetime(2026, 12, 2, tzinfo=SHANGHAI)


async def test_the_first_event_is_chained_and_made_by_the_buyer(
    store: FakeStore, chat: Chat
) -> None:
    case_no = await submit(chat)

    [event] = store.events[case_no]
    assert event.seq == 1
    assert event.prev_hash == GENESIS_HASH
    assert event.actor_kind is ActorKind.BUYER
    assert event.actor_id == 1001
    assert event.from_status is None
    assert event.to_status is CaseStatus.SUBMITTED
    assert event.amount == 1250
    assert verify_chain(store.events[case_no]) is None


async def test_each_evidence_file_is_recorded_with_a_download_job(
    store: FakeStore, chat: Chat
) -> None:
    await reach(chat, Step.EVIDENCE)
    await chat.upload(photo(1))
    await chat.upload(photo(2))
    await chat.click("f:done")
    await chat.click("f:refund:full")
    await chat.click("f:method:balance")

    case_no = (await chat.click("f:submit")).params("filing.submitted")["case_no"]

    assert [item.file.file_unique_id for item in store.evidence.values()] == [
        "uniq-photo-1", "uniq-photo-2",
    ]
    assert all(item.case_no == case_no for item in store.evidence.values())
    downloads = [job for job in store.jobs if job.kind == "download_evidence"]
    assert [(job.kind, job.payload, job.key, job.due_at) for job in downloads] == [
        ("download_evidence", {"evidence_id": 1}, "evidence:1", NOW),
        ("download_evidence", {"evidence_id": 2}, "evidence:2", NOW),
    ]


async def test_pressing_submit_twice_files_one_case(store: FakeStore, chat: Chat) -> None:
    case_no = await submit(chat)

    again = await chat.click("f:submit")

    assert again.keys == ["filing.already_submitted"]
    assert again.params("filing.already_submitted") == {"case_no": case_no}
    assert list(store.cases) == [case_no]


async def test_the_same_submit_update_delivered_twice_files_one_case(
    store: FakeStore, chat: Chat
) -> None:
    await reach(chat, Step.SUMMARY)

    first = await chat.deliver(ButtonIn("f:submit"), update_id=777_001)
    second = await chat.deliver(ButtonIn("f:submit"), update_id=777_001)

    assert first.keys == ["filing.submitted"]
    assert second.keys == ["filing.already_submitted"]
    assert len(store.cases) == 1


async def test_a_repeated_update_inside_the_filing_has_no_second_effect(chat: Chat) -> None:
    await reach(chat, Step.OWNERSHIP)
    await chat.deliver(TextIn("wrong-name"), update_id=888_001)
    repeat = await chat.deliver(TextIn("wrong-name"), update_id=888_001)

    assert repeat.keys == ["filing.ask_account"]
    assert len(chat.store.failures[(1001, "A1001")]) == 1


async def test_a_second_complaint_on_the_same_order_shows_the_first_case(
    store: FakeStore, chat: Chat
) -> None:
    case_no = await submit(chat)

    answer = await chat.send("/complain A1001")

    assert answer.params("filing.order_has_open_case") == {
        "case_no": case_no, "status": "submitted",
    }


async def test_submit_shows_a_case_opened_meanwhile_instead_of_filing_another(
    store: FakeStore, chat: Chat, env: DialogEnv
) -> None:
    await reach(chat, Step.SUMMARY)
    async with FakeUnitOfWork(store) as uow:  # e.g. a support agent filed it for the buyer
        result = await submit_complaint(
            uow, env.clock, env.policy, env.calendar, 1001,
            Submission("A1001", Reason.OTHER, DESCRIPTION, RefundKind.FULL, RefundMethod.BALANCE),
        )
        await uow.commit()

    answer = await chat.click("f:submit")

    assert answer.keys == ["filing.order_has_open_case"]
    assert list(store.cases) == [result.case_no]
    assert saved_session(store).draft is None


async def test_submit_rechecks_the_48_hour_rule(
    store: FakeStore, chat: Chat, clock: ManualClock
) -> None:
    await reach(chat, Step.REASON)
    await chat.click("f:reason:card_invalid")
    await chat.send("卡密充值时提示已被使用。")
    await chat.upload(photo(1))
    await chat.click("f:done")
    await chat.click("f:refund:full")
    await chat.click("f:method:original")
    clock.advance(timedelta(hours=48))

    answer = await chat.click("f:submit")

    assert answer.keys == ["filing.reason_window_closed", "filing.ask_reason"]
    assert store.cases == {}


async def test_submit_after_the_complaint_window_closed_is_refused(
    store: FakeStore, chat: Chat, clock: ManualClock
) -> None:
    await reach(chat, Step.SUMMARY)
    clock.advance(timedelta(days=7))

    answer = await chat.click("f:submit")

    assert answer.keys == ["filing.order_window_closed"]
    assert store.cases == {}
    assert saved_session(store).draft is None


# --- Drafts survive restarts ----------------------------------------------------------------


async def test_after_a_restart_the_next_message_continues_the_draft(chat: Chat) -> None:
    await reach(chat, Step.DESCRIPTION)

    restarted = chat.restart()
    answer = await restarted.send(DESCRIPTION)

    assert answer.key == "filing.ask_evidence"
    assert saved_step(restarted.store) is Step.EVIDENCE


async def test_start_offers_to_continue_an_unfinished_draft(chat: Chat) -> None:
    await reach(chat, Step.EVIDENCE)

    offer = await chat.restart().send("/start")

    assert offer.keys == ["menu.resume_offer"]
    assert offer.params("menu.resume_offer")["step"] == "evidence"
    assert offer.buttons == ["f:resume", "f:restart"]
    resumed = await chat.click("f:resume")
    assert resumed.keys == ["filing.ask_evidence"]


async def test_start_over_drops_the_draft(chat: Chat) -> None:
    await reach(chat, Step.EVIDENCE)
    await chat.send("/start")

    answer = await chat.click("f:restart")

    assert answer.keys == ["filing.ask_order_no"]
    draft = saved_session(chat.store).draft
    assert draft is not None
    assert draft.order_no is None


async def test_complain_again_offers_to_continue(chat: Chat) -> None:
    await reach(chat, Step.DESCRIPTION)

    answer = await chat.send("/complain")

    assert answer.keys == ["menu.resume_offer"]


async def test_complain_for_another_order_replaces_the_draft_and_says_so(
    store: FakeStore, chat: Chat
) -> None:
    store.orders["B2002"] = make_order("B2002")
    await reach(chat, Step.DESCRIPTION)

    answer = await chat.send("/complain B2002")

    assert answer.keys == ["filing.draft_replaced", "filing.ask_account"]


async def test_a_damaged_saved_state_is_dropped_with_an_apology(
    store: FakeStore, chat: Chat
) -> None:
    store.drafts[1001] = '{"v": 1, "draft": {"step": "nonsense"'

    answer = await chat.send("/complain")

    assert answer.keys == ["error.draft_lost", "filing.ask_order_no"]


async def test_a_saved_state_of_an_unknown_version_is_dropped(
    store: FakeStore, chat: Chat
) -> None:
    store.drafts[1001] = '{"v": 99, "draft": null}'

    answer = await chat.send("hello")

    assert answer.keys == ["error.draft_lost", "menu.unknown_text"]


async def test_the_draft_is_json_that_round_trips(chat: Chat) -> None:
    await reach(chat, Step.SUMMARY)
    session = saved_session(chat.store)

    assert session.model_validate_json(session.model_dump_json()) == session


async def test_handle_does_not_commit(store: FakeStore, chat: Chat) -> None:
    async with FakeUnitOfWork(store) as uow:
        await handle(CommandIn("complain"), UserCtx(1001), uow, chat.env)
        assert not uow.committed

    assert 1001 not in store.drafts
