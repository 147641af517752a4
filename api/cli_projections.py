"""`jejak projections rebuild | run | status`: rebuild the read models, keep them up to date,
show their positions; each agency log's read models on their own (`--log` names one)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from typing import Any

from api.terminal import progress
from ledger.settings import Settings
from projections.runner import ProjectionRunner, runner_from_settings


def _printable(text: str) -> str:
    """`text` with every control character escaped: error texts may quote signed data."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def _runner() -> ProjectionRunner:
    return runner_from_settings(Settings.from_env())


def _logs(runner: ProjectionRunner, args: argparse.Namespace) -> list[str]:
    named: str | None = getattr(args, "log", None)
    if named is None:
        return runner.logs()
    runner.follower(named)  # NotFoundError (exit 1, one line) when there is no such log
    return [named]


def cmd_rebuild(args: argparse.Namespace) -> int:
    """Rebuild the read models of each agency log (or of `--log`); name each log whose entries
    could not be applied, or whose rebuild failed (exit 1). One log failing rebuilds the rest."""
    runner = _runner()
    failed = 0
    try:
        logs, folded = _logs(runner, args), 0
        for log in logs:
            try:
                folded += runner.rebuild(log, progress(f"rebuilding the read models of {log}"))
            except Exception as error:  # any: the other logs are still rebuilt
                failed += 1
                message = _printable(f"{type(error).__name__}: {error}")
                print(f"jejak: read models of {log}: {message}", file=sys.stderr)
        print(f"rebuilt the read models of {len(logs)} logs from {folded} entries")
        failures = [f for log in logs for f in runner.failures(log)]
    finally:
        runner.close()
    for failure in failures:
        print(f"jejak: read models: {_printable(failure.describe())}", file=sys.stderr)
    return 1 if failures or failed else 0


def cmd_run(args: argparse.Namespace) -> int:
    """Follow every log until interrupted, each on its own, polling every `--interval`."""
    runner = _runner()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        logs = runner.logs()
        print(f"following the logs: the read models of {len(logs)} agency logs, each on its own")
        runner.run(stop, interval=args.interval)
        if runner.last_error is not None:
            print(f"jejak: the last turn failed: {runner.last_error}", file=sys.stderr)
        for log, error in sorted(runner.errors().items()):
            print(f"jejak: read models of {log}: {_printable(error)}", file=sys.stderr)
    finally:
        runner.close()
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Each log's models with their position and lag, then every log whose entries are parked
    after a failure (exit 1 while there is one, so monitoring notices)."""
    runner = _runner()
    try:
        logs = _logs(runner, args)
        found = [s for log in logs for s in runner.status(log)]
        failures = [f for log in logs for f in runner.failures(log)]
    finally:
        runner.close()
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
    width = max([len("log"), *(len(_printable(s.log)) for s in found)])
    print(f"{'log':<{width}} {'model':<12} {'applied':>10} {'lag':>8}")
    for s in found:
        print(f"{_printable(s.log):<{width}} {s.model:<12} {s.applied:>10} {s.lag:>8}")
    if failures:
        print("read models parked (until `jejak projections rebuild --log LOG`):")
        for failure in failures:
            print(f"  {_printable(failure.describe())}")
    return 1 if failures else 0


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add this module's subcommands to the `jejak` parser."""
    group = commands.add_parser("projections", help="read models built from the log")
    sub = group.add_subparsers(dest="projections_command", required=True)
    rebuild = sub.add_parser("rebuild", help="rebuild the read models from the logs")
    rebuild.add_argument("--log", help="only this agency log's read models")
    rebuild.set_defaults(func=cmd_rebuild)
    run = sub.add_parser(
        "run",
        help="keep the read models up to date until stopped (beside `serve --projections"
        " external`)",
    )
    run.add_argument("--interval", type=float, default=0.25, help="seconds between polls")
    run.set_defaults(func=cmd_run)
    status = sub.add_parser("status", help="each log's read models: position and lag")
    status.add_argument("--log", help="only this agency log")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_status)
