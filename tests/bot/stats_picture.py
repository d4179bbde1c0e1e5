"""The README's stats chart: `make chart` draws it with the bot's own code from a month of
made-up cases (`python -m tests.bot.stats_picture docs/stats.png`)."""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.stats_chart import render_chart
from cases.model import CaseStatus
from cases.stats import CaseFacts, Stage, StageSpan, build_report, parse_period
from dialogs.stats import chart_data, report_params
from locales import Translator

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")
REASONS = ("not_delivered", "card_invalid", "not_as_described", "quality", "fraud", "other")
ENDINGS = (
    (CaseStatus.REFUNDED, 10_000),
    (CaseStatus.REFUNDED, 6_000),
    (CaseStatus.REJECTED, None),
    (CaseStatus.CLOSED, None),
    (CaseStatus.WITHDRAWN, None),
    (CaseStatus.IN_REVIEW, None),
    (CaseStatus.AWAITING_MERCHANT, None),
)


def example_cases(count: int = 240, seed: int = 7) -> list[CaseFacts]:
    """A month of cases with a spread of types, outcomes and times (seeded: the same each run)."""
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        filed = NOW - timedelta(days=30) + timedelta(minutes=rng.randrange(30 * 24 * 60))
        status, approved = ENDINGS[min(int(rng.expovariate(0.6)), len(ENDINGS) - 1)]
        reviewed = filed + timedelta(hours=rng.uniform(0.5, 60))
        stages = {
            stage: StageSpan(
                filed + timedelta(hours=hours), filed + timedelta(hours=rng.uniform(1, 80))
            )
            for stage, hours in ((Stage.REVIEW, 72), (Stage.MERCHANT, 60), (Stage.REFUND, 70))
        }
        cases.append(
            CaseFacts(
                reason=REASONS[min(int(rng.expovariate(0.7)), len(REASONS) - 1)],
                merchant_code=f"M{1001 + rng.randrange(6)}",
                status=status,
                refund_amount=10_000,
                approved_amount=approved,
                created_at=filed,
                first_review_at=reviewed,
                closed_at=reviewed + timedelta(hours=rng.uniform(2, 90)),
                stages=stages,
            )
        )
    return cases


def draw(path: Path, locale: str = "zh_CN") -> None:
    report = build_report(parse_period("2026-11", NOW, TZ), NOW, example_cases(), [4, 7, 3, 1])
    png = render_chart(chart_data(report), Translator(TZ), locale, report_params(report, {}))
    path.write_bytes(png)


if __name__ == "__main__":
    draw(Path(sys.argv[1]))
