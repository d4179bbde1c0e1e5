"""The cyclic collector during start-up: `complaint-bot run` pauses it while the long-lived
objects are built (bot/cli.py), and the runner resumes it once they are (bot/runner.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bot.runner import started_up


@pytest.fixture
def collector() -> Iterator[None]:
    was_enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if was_enabled:
        gc.enable()


@pytest.mark.usefixtures("collector")
def test_a_paused_collector_runs_again_and_leaves_what_start_up_made_alone() -> None:
    gc.disable()
    made = [[object()] for _ in range(1000)]
    started_up()
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(made)


@pytest.mark.usefixtures("collector")
def test_a_collector_nobody_paused_is_left_as_it_is() -> None:
    gc.enable()
    started_up()
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
