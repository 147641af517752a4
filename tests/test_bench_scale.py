"""bench/scale.py runs end to end at tiny sizes on SQLite (a smoke test: no timings judged)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import ROOT

pytestmark = pytest.mark.slow
TINY = ("--sizes", "800,400", "--more", "50", "--store", "sqlite", "--units", "1")
COLUMNS = {
    "entries",
    "start_s",
    "server_cpu_s",
    "server_rss_mb",
    "server_rss_after_mb",
    "worker_ready_s",
    "worker_own_s",
    "worker_cpu_s",
    "worker_rss_mb",
    "worker_rss_after_mb",
    "baseline_s",
    "baseline_rss_mb",
}


def test_scale_bench_prints_its_table_at_tiny_sizes(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.scale", *TINY],
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    header = [cell.strip() for cell in lines[0].split("|")]
    assert set(header) == COLUMNS
    rows = [[cell.strip() for cell in line.split("|")] for line in lines[1:3]]
    assert [row[header.index("entries")] for row in rows] == ["400", "800"]  # sizes in order
    result = json.loads(lines[-1])
    assert (result["bench"], result["store"], result["agencies"]) == ("scale", "sqlite", 10)
    small, large = result["results"]
    assert (small["entries"], large["entries"]) == (400, 800)
    for row in (small, large):
        assert row["start_s"] > 0
        assert row["worker_ready_s"] >= row["start_s"]  # the worker starts inside the server
        assert row["server_rss_mb"] > row["baseline_rss_mb"] > 0
        assert row["worker_rss_mb"] > 0
        assert row["server_rss_after_mb"] > 0
        assert row["worker_rss_after_mb"] > 0
    verdicts = [line for line in lines if line.endswith(("PASS", "MISS"))]
    assert [v.split(" ", 2)[:2] for v in verdicts] == [
        ["server", "RSS"],
        ["worker", "RSS"],
        ["start-up", "to"],
    ]
    assert result["targets"][:3] == verdicts
    assert "size 400: starting jejak serve" in done.stderr  # progress on stderr
    assert list(tmp_path.iterdir()) == []  # the bench's temporary directory is gone
