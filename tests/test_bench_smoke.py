"""`make bench` in its tiny mode, so the benchmark scripts cannot rot: it must produce the table
and the JSON with every section measured. No timing is asserted (shared, noisy machines)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_the_bench_runs_end_to_end_and_writes_its_table_and_json(tmp_path: Path) -> None:
    output = tmp_path / "latest.json"
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.run", "--tiny", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(output.read_text())
    for name in ("inbound-sqlite", "baseline", "outbound", "deadlines", "memory"):
        assert "error" not in results[name], results[name]
    assert results["inbound-sqlite"]["saturation"]["cases_filed"] == 3  # every buyer filed
    assert results["inbound-sqlite"]["saturation"]["inbox_pending"] == 0  # all marked done
    assert results["outbound"]["sent"] == 6
    assert results["outbound"]["lost"] == 0
    assert results["memory"]["bare_aiogram_mb"] > 0  # the baseline is measured in the same run
    for measure in ("updates/s at saturation", "outbound messages/s", "deadline tick", "RSS, bare"):
        assert measure in done.stdout
    assert "| measure | value | target | met |" in done.stdout
