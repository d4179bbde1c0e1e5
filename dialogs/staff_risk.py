"""The risk block of the staff card and the new-case notice (texts risk.*), staff-only.

Only staff replies call this: the buyer's and the merchant's texts take none of its values.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cases.model import Case
from cases.policy import Policy
from cases.ports import UnitOfWork
from cases.risk import assess, window_start


async def risk_params(uow: UnitOfWork, case: Case, now: datetime, policy: Policy) -> dict[str, Any]:
    """Reads the case's risk facts and returns the weighed signals as text parameters."""
    facts = await uow.risk.facts(case, window_start(now, policy))
    return assess(case, facts, now, policy).params()
