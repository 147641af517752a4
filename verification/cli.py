"""`verify`: check a bundle file (or one fetched from a server) and print the report."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from verification.bundle import Bundle, load_bundle
from verification.errors import VerificationError
from verification.failures import BundleFormatError
from verification.leaf import parse_instant
from verification.note import key_name
from verification.report import render_json, render_text
from verification.verifier import Verification, verify_bundle

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `verify` options, shared by `jejak verify` and `python -m verification verify`."""
    parser.add_argument("bundle", nargs="?", help="a jejak-bundle/1 file ('-' for stdin)")
    parser.add_argument("--log-key", help="the log's verifier key (or a file holding it)")
    parser.add_argument("--trusted-checkpoint", help="a signed checkpoint kept from before")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--as-of", help="instant for time-dependent flags (default: the bundle's)")
    parser.add_argument("--workers", type=int, default=2, help="signature threads (default 2)")
    remote = parser.add_argument_group("fetch from a server")
    remote.add_argument("--server", help="base URL of a Jejak server")
    which = remote.add_mutually_exclusive_group()
    which.add_argument("--subject")
    which.add_argument("--complaint")
    remote.add_argument("--token", help="bearer token (inspector, ombudsman or the agency)")
    remote.add_argument("--state", help="checkpoints kept per origin (~/.jejak/checkpoints.json)")


class _Progress:
    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        if self.enabled and total >= 2000:
            end = "\n" if done >= total else ""
            print(f"\rverifying: {done}/{total}", end=end, file=sys.stderr, flush=True)


def _text_or_file(value: str) -> str:
    path = Path(value)
    if "+" not in value and path.is_file():
        return path.read_text().strip()
    return value.strip()


def _as_of(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_instant(text)
    except ValueError:
        raise BundleFormatError(f"--as-of {text!r} is not an RFC 3339 instant") from None


def check(
    bundle: Bundle, log_key: str, trusted: str | None, args: argparse.Namespace
) -> Verification:
    return verify_bundle(
        bundle,
        log_key,
        trusted,
        workers=max(1, args.workers),
        progress=_Progress(),
        as_of=_as_of(args.as_of),
    )


def _print(verification: Verification, as_json: bool) -> int:
    print(
        render_json(verification) if as_json else render_text(verification),
        end="" if not as_json else "\n",
    )
    return EXIT_OK if verification.ok else EXIT_FAILED


def run(args: argparse.Namespace) -> int:
    """Run `verify`; return the exit status (0 verified, 1 failed, 2 unusable input)."""
    try:
        if args.server:
            from verification.remote import verify_remote

            verification = verify_remote(args)
        else:
            if not args.bundle or not args.log_key:
                raise BundleFormatError("give BUNDLE and --log-key (or --server)")
            data = sys.stdin.buffer.read() if args.bundle == "-" else Path(args.bundle).read_bytes()
            log_key = _text_or_file(args.log_key)
            key_name(log_key)
            trusted = None
            if args.trusted_checkpoint:
                trusted = Path(args.trusted_checkpoint).read_text()
            verification = check(load_bundle(data), log_key, trusted, args)
    except (BundleFormatError, OSError) as error:
        print(f"verify: {error}", file=sys.stderr)
        return EXIT_UNUSABLE
    except VerificationError as error:  # a malformed log key or trusted checkpoint
        print(f"verify: unusable input: {error}", file=sys.stderr)
        return EXIT_UNUSABLE
    return _print(verification, args.json)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m verification")
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="verify a jejak-bundle/1 against the log key")
    add_arguments(verify)
    return run(parser.parse_args(argv))
