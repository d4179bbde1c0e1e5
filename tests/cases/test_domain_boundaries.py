"""The domain stays pure: no Telegram, ORM, template or HTTP library, no upper layer."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CASES_DIR = Path(__file__).resolve().parents[2] / "cases"
FORBIDDEN = {
    "aiogram",
    "telegram",
    "sqlalchemy",
    "alembic",
    "jinja2",
    "aiohttp",
    "bot",
    "dialogs",
    "storage",
    "locales",
}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", sorted(CASES_DIR.glob("*.py")), ids=lambda path: path.name)
def test_domain_module_imports_no_framework_and_no_upper_layer(path: Path) -> None:
    assert imported_roots(path) & FORBIDDEN == set()
