"""`verify`: check a bundle file (or one fetched from a server) and print the report."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from verification.bundle import load_bundle
from verification.errors import VerificationError, unexpected
from verification.failures import UnusableInputError
from verification.inputs import PEEK, as_of_option, check, log_key_text, open_bundle, trusted_text
from verification.layout import is_bundle2
from verification.note import key_name
from verification.outcome import Outcome
from verification.printable import printable
from verification.progress import TerminalPhases
from verification.report import render_json, render_text
from verification.report2 import render2_json, render2_text
from verification.verifier import Verification
from verification.verify2 import verify_stream, verify_whole

MAX_HEADER = 16 * 1024 * 1024
"""Bytes of line 1 (the header: a subjects claim may list many) read to tell the format."""
EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE, EXIT_PARTIAL = 0, 1, 2, 3
MAX_LINE = 2000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `verify` options, shared by `jejak verify` and `python -m verification verify`."""
    parser.add_argument("bundle", nargs="?", help="a jejak-bundle/2 (or /1) file ('-' for stdin)")
    parser.add_argument("--log-key", help="the log's verifier key (or a file holding it)")
    parser.add_argument(
        "--trusted-checkpoint",
        action="append",
        help="a signed checkpoint kept from before (repeatable: one per log, named by its origin)",
    )
    parser.add_argument(
        "--whole",
        action="store_true",
        help="read the bundle as one JSON document, not by its line layout",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--as-of", help="instant for time-dependent flags (default: the bundle's)")
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="processes checking signatures (default 2; 1: all in this process)",
    )
    remote = parser.add_argument_group("fetch from a server")
    remote.add_argument("--server", help="base URL of a Jejak server")
    which = remote.add_mutually_exclusive_group()
    which.add_argument("--subject")
    which.add_argument("--complaint")
    remote.add_argument("--log", help="the agency's log (bundle/2: with --subject or --complaint)")
    remote.add_argument("--token", help="bearer token (inspector, ombudsman or the agency)")
    remote.add_argument("--state", help="checkpoints kept per origin (~/.jejak/checkpoints.json)")


def _print(verification: Verification, as_json: bool) -> int:
    print(
        render_json(verification) if as_json else render_text(verification),
        end="" if not as_json else "\n",
    )
    return EXIT_OK if verification.ok else EXIT_FAILED


def _print2(outcome: Outcome, as_json: bool) -> int:
    print(render2_json(outcome) if as_json else render2_text(outcome), end="\n" if as_json else "")
    return outcome.exit_code


def _verify_file(args: argparse.Namespace) -> int:
    """Verify the named file (bundle/2 by its layout or `--whole`; bundle/1 as before)."""
    if not args.bundle or not args.log_key:
        raise UnusableInputError("give BUNDLE and --log-key (or --server)")
    log_key = log_key_text(args.log_key)
    key_name(log_key)
    trusted = [trusted_text(path) for path in args.trusted_checkpoint or ()]
    with open_bundle(args.bundle) as stream:
        if is_bundle2(stream.readline(MAX_HEADER) + stream.read(PEEK)):
            stream.seek(0)
            as_of = as_of_option(args.as_of)
            if args.whole:
                outcome = verify_whole(stream.read(), log_key, trusted, as_of=as_of)
            else:
                phases = TerminalPhases(sys.stderr)
                outcome = verify_stream(stream, log_key, trusted, as_of=as_of, phases=phases)
            return _print2(outcome, args.json)
        stream.seek(0)
        data = stream.read()
    if len(trusted) > 1:
        raise UnusableInputError("a jejak-bundle/1 is checked against one trusted checkpoint")
    legacy = check(load_bundle(data), log_key, trusted[0] if trusted else None, args)
    return _print(legacy, args.json)


def fail(message: str) -> int:
    """Print one line on stderr, every control character escaped; the unusable-input status."""
    line = printable(message)
    if len(line) > MAX_LINE:  # a bundle may quote a megabyte of its own text back
        line = line[: MAX_LINE - 1] + "…"
    print(f"verify: {line}", file=sys.stderr)
    return EXIT_UNUSABLE


def run(args: argparse.Namespace) -> int:
    """Run `verify`; return the exit status: 0 verified (bundle/2: complete), 1 failed,
    2 unusable input, 3 verified but partial (bundle/2: something could not be established).

    Nothing the input holds ends in a traceback: unusable input is one line and status 2, and
    so is an error the verifier did not foresee (nothing was verified; status 1 would claim a
    failed check).
    """
    try:
        if args.server:
            from verification.remote import verify_remote

            fetched = verify_remote(args)
            if isinstance(fetched, Outcome):
                return _print2(fetched, args.json)
            return _print(fetched, args.json)
        return _verify_file(args)
    except UnusableInputError as error:
        return fail(str(error))
    except VerificationError as error:  # a malformed log key or trusted checkpoint
        return fail(f"unusable input: {error}")
    except KeyboardInterrupt:
        return fail("interrupted, nothing verified")
    except Exception as error:  # a verifier bug must still not look like a verdict
        return fail(f"internal error, nothing verified: {unexpected(error)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m verification")
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="verify a jejak-bundle/2 against the log key")
    add_arguments(verify)
    return run(parser.parse_args(argv))
