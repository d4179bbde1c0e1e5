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
    for name in (
        "inbound-sqlite", "baseline", "inbound-sqlite-ptb", "baseline-ptb", "profile",
        "outbound", "deadlines", "memory", "fingerprints", "screen-reading",
    ):  # fmt: skip
        assert "error" not in results[name], results[name]
    assert results["failed"] == []  # every buyer filed, no update failed or left
    inbound = results["inbound-sqlite"]
    assert inbound["saturation"]["cases_filed"] == 3  # every buyer filed
    assert inbound["saturation"]["inbox_pending"] == 0  # all marked done
    assert inbound["updates_per_s"] > 0
    assert inbound["updates_per_cpu_s"] > 0
    assert inbound["steady"]["rate"] == max(1.0, round(inbound["updates_per_s"] / 2, 1))
    on_ptb = results["inbound-sqlite-ptb"]  # the same conversations on the other runtime
    assert on_ptb["runtime"] == "ptb"
    assert on_ptb["saturation"]["cases_filed"] == 3
    assert on_ptb["saturation"]["inbox_pending"] == 0
    assert results["baseline-ptb"]["updates_per_s"] > 0
    assert set(results["profile"]["share"]) >= {"intake", "claim", "dialog", "SQL", "send"}
    if "skipped" not in results["scale-out"]:
        scale = results["scale-out"]
        assert scale["two"]["handled_once"] == scale["two"]["updates"] == 27, scale
        assert scale["two"]["handled_twice"] == 0
        assert 0 < scale["two"]["machine_busy"] <= 1.05  # a share of every core's time
        assert scale["two"]["others_cpu_ms_per_update"] >= 0
        assert "scale-out, the machine's CPU busy" in done.stdout
    assert results["outbound"]["sent"] == 6
    assert results["outbound"]["lost"] == 0
    assert results["memory"]["bare_aiogram_mb"] > 0  # the baseline is measured in the same run
    for measure in (
        "updates/s at saturation",
        "inbound SQLite on ptb, updates/s at saturation",
        "inbound SQLite on ptb / bare PTB",
        "CPU per update at saturation",
        "(half of saturation)",
        "every buyer filed",
        "outbound messages/s",
        "deadline tick",
        "RSS, bare",
        "| phase | ms per update | share |",
        "screen reading, order_no precision",
        "screen reading, RSS of the loaded model",
    ):
        assert measure in done.stdout
    assert "| measure | value | target | met |" in done.stdout
