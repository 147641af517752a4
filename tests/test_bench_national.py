"""bench/national.py runs end to end at a tiny scale on SQLite (a smoke test: no timings judged)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.servers import ROOT

pytestmark = pytest.mark.slow
TINY = ("--agencies", "3", "--seconds", "2", "--clients", "4", "--store", "sqlite")


def test_national_bench_prints_its_table_at_tiny_scale() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.national", *TINY],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    header = [cell.strip() for cell in lines[0].split("|")]
    assert header[:2] == ["store", "workers"]
    assert {"entries_per_s", "p99_ms", "lag_p99_ms"} <= set(header)
    result = json.loads(lines[-1])
    assert result["bench"] == "national"
    [row] = result["results"]
    assert (row["store"], row["agencies"], row["refused"]) == ("sqlite", 3, 0)
    assert row["entries"] > 0
    assert row["entries_per_s"] > 0
    assert "presence.recorded" in result["mix"]
    assert "registered 3/3 agencies" in done.stderr  # set-up progress on stderr
