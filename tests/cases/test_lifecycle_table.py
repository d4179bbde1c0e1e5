"""The transition table: its diagram and role list, and every row for its actors and no one else."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cases.lifecycle import (
    BEFORE_DECISION,
    OPEN,
    RULES,
    TABLE,
    Action,
    Actor,
    AmountRule,
    Refusal,
    Rule,
    TransitionRefused,
    decide,
)
from cases.model import ActorKind, Case, CaseStatus
from cases.policy import Policy
from tests.fakes.lifecycle import AGENT, CALENDAR, NOW, USER_OF, make_case

DOC = Path(__file__).resolve().parents[2] / "cases" / "lifecycle.md"
_EDGE = re.compile(r"^\s*(\[\*\]|\w+)\s*-->\s*(\[\*\]|\w+)\s*:\s*(\w+)", re.MULTILINE)
_ROW = re.compile(r"^\| (\w+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \|", re.MULTILINE)
_SETS = {
    "any open": OPEN,
    "any status": frozenset(CaseStatus),
    "before a decision": BEFORE_DECISION,
}
# Drawn only in the role table: they apply in (almost) every status.
UNDRAWN = {Action.ASSIGN, Action.NOTE, Action.CLOSE, Action.WITHDRAW}


def statuses(cell: str) -> frozenset[CaseStatus]:
    cell = cell.strip()
    if cell in _SETS:
        return _SETS[cell]
    return frozenset(CaseStatus(name.strip()) for name in re.split(r",| or ", cell))


def drawn_edges() -> set[tuple[str, str, str]]:
    return set(_EDGE.findall(DOC.read_text(encoding="utf-8")))


def test_each_action_has_exactly_one_row() -> None:
    assert [rule.action for rule in TABLE] == list(Action)
    assert len(RULES) == len(TABLE)


def test_every_row_of_the_table_is_drawn_unless_it_applies_everywhere() -> None:
    edges = drawn_edges()
    for rule in TABLE:
        if rule.action in UNDRAWN:
            continue
        for source in rule.sources:
            for target in rule.targets:
                assert (source.value, target.value, rule.action.value) in edges, (
                    f"{source} --> {target}: {rule.action} is not in lifecycle.md"
                )


def test_every_drawn_edge_is_a_row_of_the_table() -> None:
    for source, target, label in drawn_edges():
        if "[*]" in (source, target):
            continue
        rule = RULES[Action(label)]
        assert CaseStatus(source) in rule.sources, (source, label)
        assert CaseStatus(target) in rule.targets, (target, label)


def test_the_role_table_lists_every_row_with_its_statuses_and_actors() -> None:
    rows = {match[0]: match[1:] for match in _ROW.findall(DOC.read_text(encoding="utf-8"))}
    rows.pop("action", None)
    assert set(rows) == {action.value for action in Action}
    for rule in TABLE:
        sources, targets, who = rows[rule.action.value]
        assert statuses(sources) == rule.sources, rule.action
        if targets.strip() == "same":
            assert rule.targets == (), rule.action
        else:
            assert statuses(targets) == frozenset(rule.targets), rule.action
        named = {ActorKind(name.strip()) for name in who.split(",")}
        assert named == rule.actors, rule.action


def valid_request(rule: Rule, status: CaseStatus) -> tuple[Case, datetime, dict[str, Any]]:
    """Returns a case in `status`, a time and arguments that satisfy everything but the role."""
    case = make_case(status)
    now = NOW + timedelta(hours=1)
    kwargs: dict[str, Any] = {}
    if rule.note:
        kwargs["note"] = "请补充付款截图"
    if rule.amount is not AmountRule.NONE:
        kwargs["amount"] = 1000
    if rule.action is Action.ASSIGN:
        kwargs["assignee"] = AGENT
    if rule.action in (Action.ACCEPT_OFFER, Action.DECLINE_OFFER):
        case = replace(case, offer_amount=1000)
    if rule.action is Action.ESCALATE and status is CaseStatus.NEGOTIATING:
        case = replace(case, offer_amount=1000, offer_declined=True)
    if rule.action in (Action.UPHOLD_CONTEST, Action.DISMISS_CONTEST):
        case = replace(case, approved_amount=case.refund_amount)  # a contested instant refund
    if ActorKind.SYSTEM in rule.actors and case.next_deadline_at is not None:
        now = case.next_deadline_at  # timeouts fire at the deadline
    return case, now, kwargs


ALLOWED = [
    pytest.param(rule, status, kind, id=f"{rule.action}-{status}-{kind}")
    for rule in TABLE
    for status in sorted(rule.sources)
    for kind in sorted(rule.actors)
]
REFUSED_ROLES = [
    pytest.param(rule, kind, id=f"{rule.action}-{kind}")
    for rule in TABLE
    for kind in sorted(set(ActorKind) - rule.actors)
]
WRONG_STATUSES = [
    pytest.param(rule, status, id=f"{rule.action}-{status}")
    for rule in TABLE
    for status in sorted(set(CaseStatus) - rule.sources)
]


@pytest.mark.parametrize(("rule", "status", "kind"), ALLOWED)
def test_every_row_is_allowed_for_each_of_its_actors(
    rule: Rule, status: CaseStatus, kind: ActorKind
) -> None:
    case, now, kwargs = valid_request(rule, status)
    actor = Actor(kind, USER_OF[kind.value])

    decision = decide(case, rule.action, actor, now, Policy(), CALENDAR, **kwargs)

    assert decision.before == case
    assert decision.after.status in (rule.targets or (status,))
    assert decision.after.updated_at == now
    event = decision.event
    assert (event.seq, event.prev_hash, event.hash) == (0, "", "")
    assert (event.actor_kind, event.actor_id) == (kind, actor.user_id)
    assert (event.action, event.from_status, event.to_status) == (
        rule.action.value, status, decision.after.status,
    )
    assert event.note == kwargs.get("note", "")


@pytest.mark.parametrize(("rule", "kind"), REFUSED_ROLES)
def test_every_row_is_refused_for_everyone_else(rule: Rule, kind: ActorKind) -> None:
    status = min(rule.sources)
    case, now, kwargs = valid_request(rule, status)

    with pytest.raises(TransitionRefused) as refused:
        decide(case, rule.action, Actor(kind, USER_OF[kind.value]), now, Policy(), CALENDAR,
               **kwargs)

    assert refused.value.refusal is Refusal.NOT_ALLOWED_FOR_ROLE
    assert refused.value.status is status


@pytest.mark.parametrize(("rule", "status"), WRONG_STATUSES)
def test_every_action_is_refused_in_a_status_it_does_not_start_from(
    rule: Rule, status: CaseStatus
) -> None:
    case, now, kwargs = valid_request(rule, min(rule.sources))
    case = replace(case, status=status)
    kind = min(rule.actors)

    with pytest.raises(TransitionRefused) as refused:
        decide(case, rule.action, Actor(kind, USER_OF[kind.value]), now, Policy(), CALENDAR,
               **kwargs)

    assert refused.value.refusal is Refusal.WRONG_STATUS
    assert refused.value.status is status


def test_final_statuses_leave_no_deadline_except_a_rejections_escalation_window() -> None:
    for rule in TABLE:
        for status in rule.sources:
            case, now, kwargs = valid_request(rule, status)
            kind = min(rule.actors)
            after = decide(case, rule.action, Actor(kind, USER_OF[kind.value]), now, Policy(),
                           CALENDAR, **kwargs).after
            if after.status in OPEN or after.status is CaseStatus.REJECTED:
                assert after.next_deadline_at is not None, (rule.action, status)
            else:
                assert (after.next_deadline_at, after.deadline_kind) == (None, None), rule.action
