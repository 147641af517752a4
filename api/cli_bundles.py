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
    if args.subject and not args.log:
        raise UsageError("--subject is named within its log: give --log LOG --subject SUBJECT")
    if args.log and not args.subject:
        raise UsageError("--log goes with --subject (an agency's whole log: --agency)")
    query = BundleQuery(
        args.subject,
        args.agency,
        args.start,
        args.end,
        args.complaint,
        args.consistency_from,
        args.log,
    )
    runtime = open_runtime(Settings.from_env(), progress=progress("replaying the log"))
    temporary = out.with_name(out.name + ".part")
    try:
        plan = plan_export(runtime.logs, query, None)
        with temporary.open("w", encoding="utf-8") as handle:
            for piece in stream_bundle(runtime.logs, plan):
                handle.write(piece)
        temporary.replace(out)
        print(
            f"wrote {len(plan.agency.indexes)} entries of log {plan.log} against checkpoint"
            f" size {plan.checkpoint.size}, and {len(plan.registry.indexes)} of the registry"
            f" log against size {plan.registry.checkpoint.size}"
        )
    finally:
        temporary.unlink(missing_ok=True)  # a half-written bundle is never left behind
        runtime.close()
    return 0


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add this module's subcommands to the `jejak` parser."""
    from verification.cli import add_arguments

    export = commands.add_parser("export", help="write a jejak-bundle/2 verification bundle")
    export.add_argument("--log", help="with --subject: the log the subject is in")
    which = export.add_mutually_exclusive_group(required=True)
    which.add_argument("--subject", help="a subject of --log, with its chain")
    which.add_argument("--agency", help="an agency's log, or a period of it")
    which.add_argument("--complaint")
    export.add_argument("--from", dest="start", type=_date, help="with --agency: first day")
    export.add_argument("--to", dest="end", type=_date, help="with --agency: last day")
    export.add_argument(
        "--consistency-from", type=int, help="add a proof of the agency log from this size"
    )
    export.add_argument("-o", "--output", required=True, help="the bundle file to write")
    export.set_defaults(func=cmd_export)

    verify = commands.add_parser(
        "verify", help="verify a bundle offline (exit 0 ok, 1 failed, 2 unusable input)"
    )
    add_arguments(verify)
    verify.set_defaults(func=cmd_verify)
