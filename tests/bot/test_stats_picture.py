"""The README's stats chart is drawn by the bot's own chart code (`make chart`)."""

from __future__ import annotations

from pathlib import Path

from tests.bot.stats_picture import draw


def test_the_readme_chart_is_made_by_the_project(tmp_path: Path) -> None:
    picture = tmp_path / "stats.png"
    draw(picture)
    assert picture.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "(docs/stats.png)" in readme
    assert "make chart" in readme
