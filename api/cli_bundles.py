"""`jejak export` and `jejak verify`; verify imports only the `verification` package."""

from __future__ import annotations

import argparse
import os
from datetime import date
from pathlib import Path
from typing import Any

from api.cli_errors import UsageError


def cmd_verify(args: argparse.Namespace) -> int:
    from verification.cli import run

    return run(args)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a YYYY-MM-DD date") from None


def writable(path: Path) -> Path:
    """The output file, refused before any work if it cannot be written where it is named."""
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f"cannot write {path}: no such directory: {folder}")
    if path.is_dir():
        raise UsageError(f"cannot write {path}: it is a directory")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write {path}: the directory {folder} is not writable")
    return path


def cmd_export(args: argparse.Namespace) -> int:
    from api.terminal import progress
    from ledger.bootstrap import open_runtime
    from ledger.export import BundleQuery, plan_export, stream_bundle
    from ledger.settings import Settings

    out = writable(Path(args.output))
    query = BundleQuery(
        args.subject, args.agency, args.start, args.end, args.complaint, args.consistency_from
    )
    runtime = open_runtime(Settings.from_env(), progress=progress("replaying the log"))
    temporary = out.with_name(out.name + ".part")
    try:
        plan = plan_export(runtime.ledger, query, None)
        with temporary.open("w", encoding="utf-8") as handle:
            for piece in stream_bundle(runtime.ledger, plan):
                handle.write(piece)
        temporary.replace(out)
        print(f"wrote {len(plan.indexes)} entries against checkpoint size {plan.checkpoint.size}")
    finally:
        temporary.unlink(missing_ok=True)  # a half-written bundle is never left behind
        runtime.close()
    return 0


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add this module's subcommands to the `jejak` parser."""
    from verification.cli import add_arguments

    export = commands.add_parser("export", help="write a jejak-bundle/1 verification bundle")
    which = export.add_mutually_exclusive_group(required=True)
    which.add_argument("--subject")
    which.add_argument("--agency")
    which.add_argument("--complaint")
    export.add_argument("--from", dest="start", type=_date, help="with --agency: first day")
    export.add_argument("--to", dest="end", type=_date, help="with --agency: last day")
    export.add_argument("--consistency-from", type=int, help="add a proof from this tree size")
    export.add_argument("-o", "--output", required=True, help="the bundle file to write")
    export.set_defaults(func=cmd_export)

    verify = commands.add_parser(
        "verify", help="verify a bundle offline (exit 0 ok, 1 failed, 2 unusable input)"
    )
    add_arguments(verify)
    verify.set_defaults(func=cmd_verify)
