"""The durable job a worker loop claims from the `jobs` table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    payload: dict[str, Any]
    due_at: datetime
    attempts: int  # failed runs so far (each `retry` adds one); 0 on the first run
