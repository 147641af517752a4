"""`verify`: check a bundle file (or one fetched from a server) and print the report."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from verification.bundle import load_bundle
from verification.errors import VerificationError, unexpected
from verification.failures import UnusableInputError
from verification.inputs import check, log_key_text, read_file, trusted_text
from verification.note import key_name
from verification.printable import printable
from verification.report import render_json, render_text
from verification.verifier import Verification

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2
MAX_LINE = 2000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `verify` options, shared by `jejak verify` and `python -m verification verify`."""
    parser.add_argument("bundle", nargs="?", help="a jejak-bundle/1 file ('-' for stdin)")
    parser.add_argument("--log-key", help="the log's verifier key (or a file holding it)")
    parser.add_argument("--trusted-checkpoint", help="a signed checkpoint kept from before")
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
    remote.add_argument("--token", help="bearer token (inspector, ombudsman or the agency)")
    remote.add_argument("--state", help="checkpoints kept per origin (~/.jejak/checkpoints.json)")


def _print(verification: Verification, as_json: bool) -> int:
    print(
        render_json(verification) if as_json else render_text(verification),
        end="" if not as_json else "\n",
    )
    return EXIT_OK if verification.ok else EXIT_FAILED


def _verify_file(args: argparse.Namespace) -> Verification:
    if not args.bundle or not args.log_key:
        raise UnusableInputError("give BUNDLE and --log-key (or --server)")
    log_key = log_key_text(args.log_key)
    key_name(log_key)
    trusted = None if args.trusted_checkpoint is None else trusted_text(args.trusted_checkpoint)
    data = sys.stdin.buffer.read() if args.bundle == "-" else read_file(args.bundle, "bundle")
    return check(load_bundle(data), log_key, trusted, args)


def fail(message: str) -> int:
    """Print one line on stderr, every control character escaped; the unusable-input status."""
    line = printable(message)
    if len(line) > MAX_LINE:  # a bundle may quote a megabyte of its own text back
        line = line[: MAX_LINE - 1] + "…"
    print(f"verify: {line}", file=sys.stderr)
    return EXIT_UNUSABLE


def run(args: argparse.Namespace) -> int:
    """Run `verify`; return the exit status (0 verified, 1 failed, 2 unusable input).

    Nothing the input holds ends in a traceback: unusable input is one line and status 2, and
    so is an error the verifier did not foresee (nothing was verified; status 1 would claim a
    failed check).
    """
    try:
        if args.server:
            from verification.remote import verify_remote

            verification = verify_remote(args)
        else:
            verification = _verify_file(args)
        return _print(verification, args.json)
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
    verify = commands.add_parser("verify", help="verify a jejak-bundle/1 against the log key")
    add_arguments(verify)
    return run(parser.parse_args(argv))
