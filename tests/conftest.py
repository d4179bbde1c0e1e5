"""Shared pytest setup for the whole suite."""

import sys
from pathlib import Path

import pytest

from bot.screen_ocr import ScreenOcr

# Test helper packages are imported as `tests.<name>`; the repository root must be on sys.path for
# that however pytest is started (the `pytest` script does not add the working directory).
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

pytest_plugins = ["tests.botapi.fixtures", "tests.dbs"]


@pytest.fixture(scope="session")
def screen_ocr() -> ScreenOcr:
    """The OCR model, loaded once per test process (a second and some 150 MB each time)."""
    ocr = ScreenOcr()
    ocr.load()
    return ocr


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`make test`), the tests that run the real bot as processes share one
    worker and run one after another: each starts processes of its own, and several of them at
    once on a 2-core machine push a bot's start-up past its tests' patience."""
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.xdist_group("processes"))
