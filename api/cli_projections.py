"""`jejak projections rebuild | run | status`: rebuild the read models, keep them up to date,
show their positions."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from typing import Any

from api.terminal import progress
from ledger.settings import Settings
from ledger.store import open_store
from projections.runner import ProjectionRunner
from projections.store import open_read_recorder


def _printable(text: str) -> str:
    """`text` with every control character escaped: error texts may quote signed data."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def _runner() -> ProjectionRunner:
    url = Settings.from_env().database_url
    return ProjectionRunner(open_store(url), open_read_recorder(url))


def cmd_rebuild(_: argparse.Namespace) -> int:
    """Rebuild every read model; name each agency whose entries could not be applied (exit 1)."""
    runner = _runner()
    try:
        folded = runner.rebuild(progress("rebuilding the read models"))
        print(f"rebuilt every read model from {folded} log entries")
        failures = runner.failures()
    finally:
        runner.reads.datastore.close()
        runner.events.close()
    for failure in failures:
        print(f"jejak: read models: {_printable(failure.describe())}", file=sys.stderr)
    return 1 if failures else 0


def cmd_run(args: argparse.Namespace) -> int:
    """Follow the log until interrupted: catch up, then poll every `--interval` seconds."""
    runner = _runner()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        folded = runner.catch_up(progress("catching up the read models"))
        print(f"read models at {runner.applied} entries ({folded} applied); following the log")
        runner.run(stop, interval=args.interval)
        if runner.last_error is not None:
            print(f"jejak: the last catch-up failed: {runner.last_error}", file=sys.stderr)
    finally:
        runner.reads.datastore.close()
        runner.events.close()
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Each model's position and lag, then every agency whose entries are parked after a
    failure (exit 1 when there is one, so monitoring notices)."""
    runner = _runner()
    try:
        found = runner.status()
        failures = runner.failures()
    finally:
        runner.reads.datastore.close()
        runner.events.close()
    if args.json:
        print(
            json.dumps(
                {
                    "models": [s.as_json() for s in found],
                    "failures": [f.as_json() for f in failures],
                }
            )
        )
        return 1 if failures else 0
    print(f"{'model':<12} {'notification':>12} {'applied':>10} {'lag':>8}")
    for s in found:
        print(f"{s.model:<12} {s.notification_id:>12} {s.applied:>10} {s.lag:>8}")
    if failures:
        print("read models failed for (entries parked until `jejak projections rebuild`):")
        for failure in failures:
            print(f"  {_printable(failure.describe())}")
    return 1 if failures else 0


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add this module's subcommands to the `jejak` parser."""
    group = commands.add_parser("projections", help="read models built from the log")
    sub = group.add_subparsers(dest="projections_command", required=True)
    rebuild = sub.add_parser("rebuild", help="rebuild every read model from the log")
    rebuild.set_defaults(func=cmd_rebuild)
    run = sub.add_parser(
        "run",
        help="keep the read models up to date until stopped (beside `serve --projections"
        " external`)",
    )
    run.add_argument("--interval", type=float, default=0.25, help="seconds between polls")
    run.set_defaults(func=cmd_run)
    status = sub.add_parser("status", help="each read model's position and lag")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_status)
