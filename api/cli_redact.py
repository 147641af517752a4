"""`jejak redact LOG INDEX --basis TEXT [--reason TEXT]`: the operator redacts one payload."""

from __future__ import annotations

import argparse
from typing import Any

from api.terminal import progress
from ledger.bootstrap import open_runtime
from ledger.redaction import redact
from ledger.settings import Settings


def cmd_redact(args: argparse.Namespace) -> int:
    runtime = open_runtime(Settings.from_env(), progress=progress("replaying the log"))
    try:
        done = redact(runtime.logs, runtime.operator, args.log, args.index, args.basis, args.reason)
        print(
            f"redacted entry {done.index} of {done.log} (registry entry {done.receipt.index},"
            f" basis: {done.basis})"
        )
    finally:
        runtime.close()
    return 0


def register(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser("redact", help="operator: redact one entry's payload (UU 27/2022)")
    parser.add_argument("log")
    parser.add_argument("index", type=int)
    parser.add_argument("--basis", required=True, help="the legal basis, e.g. UU 27/2022 Pasal 43")
    parser.add_argument("--reason", default="")
    parser.set_defaults(func=cmd_redact)
