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

from bot.transport.runtimes import Runtime  # noqa: E402 (after the root is on sys.path)
from tests.runtimes import selected_runtimes  # noqa: E402

pytest_plugins = ["tests.botapi.fixtures", "tests.dbs"]


@pytest.fixture(scope="session")
def screen_ocr() -> ScreenOcr:
    """The OCR model, loaded once per test process (a second and some 150 MB each time)."""
    ocr = ScreenOcr()
    ocr.load()
    return ocr


@pytest.fixture
def bot_runtime() -> Runtime:
    """The Bot API runtime (BOT_RUNTIME) the test's bot runs on; parametrised below."""
    return "aiogram"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test that takes `bot_runtime` runs on each runtime TEST_RUNTIMES names if it is marked
    `every_runtime`, else on the first of them only (aiogram, unless TEST_RUNTIMES=ptb).

    The marked tests are the end-to-end, story and crash tests: a whole buyer's or staff
    member's path through each adapter. Tests below the adapter (a dialog, the outbox's
    bookkeeping) run once; the contract test (tests/bot/test_bot_port.py) covers each Telegram
    answer on both.
    """
    if "bot_runtime" not in metafunc.fixturenames:
        return
    runtimes = selected_runtimes()
    if metafunc.definition.get_closest_marker("every_runtime") is None:
        runtimes = runtimes[:1]
    metafunc.parametrize("bot_runtime", runtimes, ids=list(runtimes))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`make test`), the tests that run the real bot as processes share one
    worker and run one after another: each starts processes of its own, and several of them at
    once on a 2-core machine push a bot's start-up past its tests' patience."""
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.xdist_group("processes"))
