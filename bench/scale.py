"""Memory and start-up of the server and its projection worker as the log grows (issue #10).

Targets, from one run: RSS of the server and of the projection worker at 10^6 entries
<= 1.3 x their RSS at 10^5; start-up until the first append is accepted at 10^6 entries
<= 2 x that at 10^4. (With other `--sizes`, the largest against the one before it, and the
largest against the smallest.)

The log: bench/workload.py's requests (asked, approved, output reported) in 10 agency logs
(bench/scale_build.py): by default each agency has `--units` units (20) of 30 staff, at most
30 % of a unit away a day; `--heavy` is the former workload (two staff per agency piling up
bookings on 300 days, so an employee's and a unit-day's sets grow with the log). The log is
grown in-process in batches of 1000 to each size in turn, its read models caught up in-process
too, so each start is a restart on a caught-up deployment. For each size everything is
stopped, then a real `jejak serve` subprocess (one process, `--projections worker`: the read
models in a worker process it spawns) starts on the store, and the bench measures:
- start-up: from launching `jejak serve` until its first POST /v1/entries answers 201 (the
  request is sent at once and retried until the port takes it);
- the server's CPU seconds by then (utime + stime from /proc, its own process), and RSS
  (VmRSS, every process of the server summed except the projection worker);
- the projection worker: ready when every agency's compliance read model answers with the
  newest entry applied (`min_index`): its seconds since launching the server, since its own
  process was created, its CPU seconds, its RSS;
- RSS of both after `--more` entries more over HTTP (batches of 200, the worker caught up).
The baseline, in the same run: a plain eventsourcing application (bench/scale_baseline.py, a
process of its own) reading and deserialising every entry of the same logs, keeping none: its
seconds from launch to exit, and its RSS.

Run:  .venv/bin/python -m bench.scale [--sizes 10000,100000,1000000] [--more 10000]
          [--store sqlite|postgres] [--units 20] [--heavy]
Output: one row per size, the target ratios with PASS/MISS, one JSON line; progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.scale_build import (
    Agency,
    Workload,
    agencies,
    catch_up_read_models,
    entries,
    log,
    sizes,
)
from bench.scale_proc import cmdline, cpu_seconds, descendants, rss_mb, started_at
from ledger.bootstrap import open_runtime
from ledger.settings import Settings
from ledger.store import drop_postgres_schema
from tests.servers import ROOT, free_port

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
AGENCIES = 10
HTTP_BATCH = 200
START_SECONDS = 3600.0  # a start-up slower than this ends the run
READY_SECONDS = 3600.0
RSS_TARGET, START_TARGET = 1.3, 2.0


@dataclass
class Measured:
    """One start of the server on a log of `entries` entries."""

    entries: int
    start_s: float
    server_cpu_s: float
    server_rss_mb: float
    worker_ready_s: float  # since the server was launched
    worker_own_s: float  # since the worker process was created
    worker_cpu_s: float
    worker_rss_mb: float
    server_rss_after_mb: float = 0.0
    worker_rss_after_mb: float = 0.0


class Served:
    """A `jejak serve` subprocess and its processes (the projection worker told apart)."""

    def __init__(self, env: dict[str, str], log_file: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log_file.open("ab")
        self.launched = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(self.port)],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.log_file = log_file

    def worker(self) -> int | None:
        """The projection worker's pid: the server's child started by multiprocessing spawn."""
        for pid in descendants(self.process.pid):
            if "spawn_main" in cmdline(pid):
                return pid
        return None

    def server_pids(self) -> list[int]:
        """The server's processes: itself and every descendant except the projection worker
        (multiprocessing's resource tracker, and `--workers` processes if it had any)."""
        worker = self.worker()
        return [self.process.pid, *(p for p in descendants(self.process.pid) if p != worker)]

    def alive(self) -> None:
        if self.process.poll() is not None:
            tail = self.log_file.read_text(errors="replace")[-3000:]
            raise SystemExit(f"jejak serve exited {self.process.returncode}:\n{tail}")

    def stop(self) -> None:
        """SIGTERM (the worker stops with it), SIGKILL for whatever is left after 60 s."""
        left = [self.process.pid, *descendants(self.process.pid)]
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for pid in left[1:]:  # a child that outlived the server
            with suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        self._log.close()


def post(http: httpx.Client, served: Served, path: str, token: str, body: Any) -> dict[str, Any]:
    """POST once the server answers; retried while its port refuses connections."""
    deadline = time.monotonic() + START_SECONDS
    while True:
        served.alive()
        try:
            answer = http.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
        except httpx.TransportError:  # not listening yet, or reset while starting
            if time.monotonic() > deadline:
                raise SystemExit(f"no answer from {served.url} in {START_SECONDS:.0f} s") from None
            time.sleep(0.02)
            continue
        if answer.status_code != 201:
            raise SystemExit(f"POST {path}: {answer.status_code} {answer.text[:500]}")
        found: dict[str, Any] = answer.json()
        return found


def wait_read_models(
    http: httpx.Client, served: Served, newest: dict[str, int], by_id: dict[str, Agency]
) -> None:
    """Until each agency's compliance read model has applied the agency's entry `newest[id]`
    (each ask waits up to 10 s on the server, then answers 503)."""
    deadline = time.monotonic() + READY_SECONDS
    for agency_id, index in newest.items():
        path = f"/v1/agencies/{agency_id}/compliance?limit=1&min_index={index}"
        token = by_id[agency_id].token
        while True:
            served.alive()
            answer = http.get(path, headers={"Authorization": f"Bearer {token}"})
            if answer.status_code == 200:
                break
            if answer.status_code != 503 or time.monotonic() > deadline:
                raise SystemExit(f"GET {path}: {answer.status_code} {answer.text[:500]}")


def measure(
    env: dict[str, str], workdir: Path, workload: Workload, held: dict[str, int], more: int
) -> Measured:
    """Start the server on the log as it is (`held`: each agency log's size), measure, append
    `more` entries over HTTP, measure again, stop it."""
    by_id = {a.id: a for a in workload.agencies}
    [(first_agency, first)] = workload.take(1)
    served = Served(env, workdir / "server.log")
    try:
        with httpx.Client(base_url=served.url, timeout=START_SECONDS) as http:
            receipt = post(http, served, "/v1/entries", first_agency.token, first)
            start_s = time.monotonic() - served.launched
            server_cpu, server_rss = cpu_seconds(served.process.pid), rss_mb(served.server_pids())
            log(f"  server: first append accepted after {start_s:.1f} s, {server_rss:.0f} MB")
            newest = {a: size - 1 for a, size in held.items()}
            newest[first_agency.id] = int(receipt["index"])
            wait_read_models(http, served, newest, by_id)
            ready = time.monotonic()
            worker = served.worker()
            if worker is None:
                raise SystemExit("found no projection worker process under jejak serve")
            worker_own = time.time() - started_at(worker)
            row = Measured(
                entries=sum(held.values()),
                start_s=round(start_s, 2),
                server_cpu_s=round(server_cpu, 2),
                server_rss_mb=round(server_rss, 1),
                worker_ready_s=round(ready - served.launched, 2),
                worker_own_s=round(worker_own, 2),
                worker_cpu_s=round(cpu_seconds(worker), 2),
                worker_rss_mb=round(rss_mb([worker]), 1),
            )
            log(
                f"  worker: read models answer after {row.worker_ready_s:.1f} s,"
                f" {row.worker_rss_mb:.0f} MB; appending {more} entries over HTTP"
            )
            newest = append_over_http(http, served, workload, more)
            wait_read_models(http, served, newest, by_id)
            row.server_rss_after_mb = round(rss_mb(served.server_pids()), 1)
            row.worker_rss_after_mb = round(rss_mb([worker]), 1)
            return row
    finally:
        served.stop()


def append_over_http(
    http: httpx.Client, served: Served, workload: Workload, count: int
) -> dict[str, int]:
    """`count` envelopes of the stream, per agency in batches; each agency's newest index."""
    per_agency: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_id = {}
    for agency, envelope in workload.take(count):
        per_agency[agency.id].append(envelope)
        by_id[agency.id] = agency
    newest: dict[str, int] = {}
    for agency_id, envelopes in per_agency.items():
        for i in range(0, len(envelopes), HTTP_BATCH):
            body = {"envelopes": envelopes[i : i + HTTP_BATCH]}
            receipts = post(http, served, "/v1/entries/batch", by_id[agency_id].token, body)
            newest[agency_id] = int(receipts["receipts"][-1]["index"])
    return newest


def baseline(url: str, logs: list[str], expected: int) -> dict[str, float]:
    """Seconds from launch to exit, and RSS, of bench/scale_baseline.py on the same logs."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "bench.scale_baseline", url, *logs],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"bench.scale_baseline failed: {done.stderr[-2000:]}")
    found = json.loads(done.stdout.strip().splitlines()[-1])
    if found["entries"] != expected:
        raise SystemExit(f"the baseline read {found['entries']} entries, not {expected}")
    return {"seconds": round(seconds, 2), "rss_mb": round(found["rss_kb"] / 1024, 1)}


def ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 2) if denominator else float("inf")


def verdict(value: float, target: float) -> str:
    return "PASS" if value <= target else "MISS"


def targets(rows: list[dict[str, Any]]) -> list[str]:
    """The target ratios as lines: RSS largest/previous size, start-up largest/smallest."""
    if len(rows) < 2:
        return ["(the targets need two sizes or more)"]
    small, previous, large = rows[0], rows[-2], rows[-1]
    n_small, n_prev, n_large = small["entries"], previous["entries"], large["entries"]
    lines = []
    for who in ("server", "worker"):
        at_start = ratio(large[f"{who}_rss_mb"], previous[f"{who}_rss_mb"])
        after = ratio(large[f"{who}_rss_after_mb"], previous[f"{who}_rss_after_mb"])
        worst = max(at_start, after)
        lines.append(
            f"{who} RSS {n_large}/{n_prev} entries: {at_start} after start-up, {after} after"
            f" the appends (target <= {RSS_TARGET}): {verdict(worst, RSS_TARGET)}"
        )
    start = ratio(large["start_s"], small["start_s"])
    lines.append(
        f"start-up to the first append {n_large}/{n_small} entries: {start}"
        f" (target <= {START_TARGET}): {verdict(start, START_TARGET)}"
    )
    worker = ratio(large["worker_own_s"], small["worker_own_s"])
    base = ratio(large["baseline_s"], small["baseline_s"])
    lines.append(
        f"for comparison, {n_large}/{n_small} entries: projection worker start-up {worker},"
        f" the baseline's reading of every entry {base}"
    )
    return lines


def print_table(rows: list[dict[str, Any]], lines: list[str], context: dict[str, Any]) -> None:
    header = list(rows[0])
    print(" | ".join(f"{h:>19}" for h in header))
    for row in rows:
        print(" | ".join(f"{row[h]!s:>19}" for h in header))
    for line in lines:
        print(line)
    print(json.dumps({"bench": "scale", **context, "targets": lines, "results": rows}))


def run(args: argparse.Namespace) -> None:
    targets_sizes = sorted(int(s) for s in args.sizes.split(","))
    workload = Workload(agencies(AGENCIES, units=args.units, heavy=args.heavy))
    log_ids = [a.id for a in workload.agencies]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="jejak-scale-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        if args.store == "sqlite":
            url = f"sqlite:///{workdir}/scale.db"
        else:
            url = f"{POSTGRES}?schema=bench_scale_{uuid.uuid4().hex[:8]}"
            stack.callback(drop_postgres_schema, url)
        env = {"JEJAK_DATA_DIR": str(workdir / "data"), "JEJAK_DATABASE_URL": url}
        settings = Settings.from_env(env)
        for number, target in enumerate(targets_sizes):
            log(f"size {target}: building the log in-process")
            runtime = open_runtime(settings)
            try:
                if number == 0:
                    workload.register(runtime)
                workload.extend(runtime, target)
                catch_up_read_models(runtime)
                held, total = sizes(runtime, workload.agencies), entries(runtime, workload.agencies)
            finally:
                runtime.close()
            log(f"size {total}: starting jejak serve")
            measured = measure(env, workdir, workload, held, args.more)
            log("  baseline: reading every entry in a plain eventsourcing application")
            base = baseline(url, log_ids, total + args.more + 1)
            row = {
                **vars(measured),
                "baseline_s": base["seconds"],
                "baseline_rss_mb": base["rss_mb"],
            }
            rows.append(row)
            log("  " + json.dumps(row))
    shape = "heavy" if args.heavy else f"{args.units} units of 30 staff per agency"
    context = {"store": args.store, "agencies": AGENCIES, "more": args.more, "workload": shape}
    print_table(rows, targets(rows), context)


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(f"stopped by signal {signum}")  # so the server and temp files go too


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--more", type=int, default=10_000, help="entries appended over HTTP")
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--units", type=int, default=20, help="units of 30 staff per agency")
    parser.add_argument("--heavy", action="store_true", help="the former two-staff workload")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
