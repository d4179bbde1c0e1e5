"""Shared pytest setup for the whole suite."""

import sys
from pathlib import Path

# Test helper packages are imported as `tests.<name>`; the repository root must be on sys.path for
# that however pytest is started (the `pytest` script does not add the working directory).
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

pytest_plugins = ["tests.botapi.fixtures", "tests.dbs"]
