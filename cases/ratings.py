"""Satisfaction (CSAT): the buyer rates a finished case once, 1-5, and may add a comment.

A case that reaches a final status other than withdrawn is asked about once: the question is a
row of its own (`Rating` with no score yet), written in the same transaction as the change that
finished the case, so a case reopened by escalation and finished again is not asked twice, and an
unanswered question is never repeated. The staff member held responsible is recorded when asked:
the one who made the deciding move (approved, rejected, ruled, closed), else the one who took it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from cases.lifecycle import Action
from cases.model import FINAL_STATUSES, ActorKind, Case, CaseEvent, CaseStatus

SCORES: Final = (1, 2, 3, 4, 5)
COMMENT_MAX: Final = 500  # characters: a sentence or two, not a second complaint
# Finished cases the buyer is asked about: a withdrawn case was the buyer's own choice.
RATED_STATUSES: Final = FINAL_STATUSES - {CaseStatus.WITHDRAWN}
_DECIDING: Final = frozenset(
    {
        Action.APPROVE_REFUND.value,
        Action.REJECT.value,
        Action.RULE_FOR_BUYER.value,
        Action.RULE_FOR_MERCHANT.value,
        Action.CLOSE.value,
    }
)
_STAFF: Final = frozenset({ActorKind.AGENT, ActorKind.ARBITRATOR, ActorKind.ADMIN})


@dataclass(frozen=True)
class Rating:
    """One case's satisfaction question and, once answered, its score and comment."""

    case_no: str
    asked_at: datetime
    staff_id: int | None = None  # the staff member held responsible (see module doc)
    score: int | None = None
    rated_at: datetime | None = None
    comment: str | None = None


def finishes(before: Case, after: Case) -> bool:
    """The change finished the case in a status the buyer is asked to rate."""
    return before.status not in FINAL_STATUSES and after.status in RATED_STATUSES


def responsible_staff(case: Case, events: Iterable[CaseEvent]) -> int | None:
    """The staff member who made the last deciding move, else the one the case is assigned to."""
    decider = None
    for event in events:
        if event.action in _DECIDING and event.actor_kind in _STAFF:
            decider = event.actor_id
    return decider if decider is not None else case.assignee_id


def valid_score(text: str) -> int | None:
    """The score a button's data names, or None for anything else."""
    return int(text) if text.isdigit() and int(text) in SCORES else None


@dataclass(frozen=True)
class RatingSummary:
    """Ratings of one group (a complaint type, a merchant, a staff member, or all)."""

    count: int = 0
    average: Decimal | None = None  # two decimals, half up; None without ratings
    distribution: dict[int, int] = field(default_factory=lambda: dict.fromkeys(SCORES, 0))


def summarise(score_counts: Iterable[tuple[int, int]]) -> RatingSummary:
    """Sums (score, how many) pairs into count, exact average and distribution."""
    distribution = dict.fromkeys(SCORES, 0)
    for score, count in score_counts:
        if score in distribution:
            distribution[score] += count
    total = sum(distribution.values())
    if total == 0:
        return RatingSummary(0, None, distribution)
    points = sum(score * count for score, count in distribution.items())
    average = (Decimal(points) / total).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return RatingSummary(total, average, distribution)


GroupKey = str | int | None


def summarise_groups(
    rows: Sequence[tuple[GroupKey, int, int]],
) -> dict[GroupKey, RatingSummary]:
    """(group, score, how many) rows, as a rating-count query returns them, per group."""
    grouped: dict[GroupKey, list[tuple[int, int]]] = {}
    for group, score, count in rows:
        grouped.setdefault(group, []).append((score, count))
    return {group: summarise(pairs) for group, pairs in grouped.items()}
