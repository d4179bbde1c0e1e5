"""Which Bot API runtimes the runtime-parametrised tests run on.

The end-to-end, story and crash tests take the `bot_runtime` fixture (tests/conftest.py) and
run once per runtime named by TEST_RUNTIMES (comma-separated), both by default. `make test`
narrows the PostgreSQL run to aiogram: the adapters sit above storage, so running the ptb
variants on both backends would double their cost for no path of its own.
"""

from __future__ import annotations

import os

from bot.transport.runtimes import RUNTIMES, Runtime


def selected_runtimes() -> tuple[Runtime, ...]:
    named = [name.strip() for name in os.environ.get("TEST_RUNTIMES", "").split(",")]
    chosen = tuple(runtime for runtime in RUNTIMES if runtime in named)
    unknown = sorted(set(named) - set(RUNTIMES) - {""})
    if unknown:
        raise ValueError(f"TEST_RUNTIMES names {', '.join(unknown)}; known: {', '.join(RUNTIMES)}")
    return chosen or RUNTIMES
