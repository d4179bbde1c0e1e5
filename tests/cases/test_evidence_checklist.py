"""The evidence checklist: the items per reason, the policy's say over them, the record."""

from __future__ import annotations

from pathlib import Path

import pytest

from cases.checklist import ChecklistItem, event_extra, from_event_extra, missing, states
from cases.model import Reason
from cases.policy import Policy, load_policy
from tests.cases.test_policy_rules import write_policy

I = ChecklistItem  # noqa: E741 - a short alias keeps the expectations on one line each


def test_the_default_checklist_asks_for_what_each_clear_cut_reason_turns_on() -> None:
    policy = Policy()

    assert policy.checklist(Reason.CARD_INVALID) == (I.REDEEM_ERROR, I.CARD_CODE)
    assert policy.checklist(Reason.NOT_DELIVERED) == (I.ACCOUNT_RECORD, I.TOPUP_ACCOUNT)
    assert policy.checklist(Reason.NOT_AS_DESCRIBED) == (I.LISTING, I.DELIVERED)
    assert policy.checklist(Reason.OTHER) == ()
    assert policy.evidence_required_items == frozenset()


def test_pictures_need_a_file_and_details_may_be_written_in_the_description() -> None:
    assert I.REDEEM_ERROR.needs_file
    assert I.ACCOUNT_RECORD.needs_file
    assert not I.CARD_CODE.needs_file
    assert not I.TOPUP_ACCOUNT.needs_file


def test_the_policy_file_replaces_a_reasons_items_and_keeps_the_others(tmp_path: Path) -> None:
    path = write_policy(
        tmp_path,
        'evidence_required_items = ["redeem_error"]\n'
        "[evidence_checklist]\n"
        'card_invalid = ["redeem_error", "payment_proof", "redeem_error"]\n'
        "fraud = []\n",
    )

    policy = load_policy(path)

    assert policy.checklist(Reason.CARD_INVALID) == (I.REDEEM_ERROR, I.PAYMENT_PROOF)
    assert policy.checklist(Reason.FRAUD) == ()
    assert policy.checklist(Reason.NOT_DELIVERED) == (I.ACCOUNT_RECORD, I.TOPUP_ACCOUNT)
    assert policy.evidence_required_items == frozenset({I.REDEEM_ERROR})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[evidence_checklist]\ncard_invalid = ["selfie"]\n', "'selfie' is no checklist item"),
        ('[evidence_checklist]\nlost = ["listing"]\n', "'lost' is no reason"),
        ('evidence_required_items = "listing"\n', "expected a list of checklist items"),
    ],
)
def test_an_unknown_item_or_reason_stops_the_bot_at_start(
    tmp_path: Path, content: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        load_policy(write_policy(tmp_path, content))


def test_the_submit_event_keeps_the_ticks_in_order_and_reads_them_back() -> None:
    ticked = states(
        (I.REDEEM_ERROR, I.CARD_CODE), frozenset({I.CARD_CODE}), ["card_code", "retired_item"]
    )

    extra = event_extra(ticked)

    assert extra == {"checklist": "redeem_error:missing,card_code:given:required"}
    assert from_event_extra(extra) == ticked
    assert missing(ticked) == [I.REDEEM_ERROR]


def test_a_reason_without_items_records_nothing_and_old_cases_read_as_no_checklist() -> None:
    assert event_extra(states((), frozenset(), [])) == {}
    assert from_event_extra({"reason": "other"}) is None
