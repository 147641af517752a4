"""`verify`: check a bundle file (or one fetched from a server) and print the report."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from verification.errors import VerificationError, unexpected
from verification.failures import BundleFormatError, UnusableInputError
from verification.inputs import PEEK, as_of_option, log_key_text, open_bundle, trusted_text
from verification.layout import is_legacy
from verification.note import key_name
from verification.outcome import EXIT_UNUSABLE, Outcome
from verification.pool import usable_cpus
from verification.printable import printable
from verification.progress import TerminalPhases
from verification.records import NO_LONGER_READ
from verification.report import render_json, render_text
from verification.verifier import verify_stream, verify_whole
from verification.wording import LANGS, lang_of

MAX_LINE = 2000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `verify` options, shared by `jejak verify` and `python -m verification verify`."""
    parser.add_argument("bundle", nargs="?", help="a jejak-bundle/2 file ('-' for stdin)")
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
    parser.add_argument(
        "--lang",
        choices=LANGS,
        default="id",
        help="the report's language: id (Bahasa Indonesia, the default) or en (English)",
    )
    parser.add_argument(
        "--timeline",
        action="store_true",
        help="a period bundle: every subject's timeline, not only the summary "
        "(memory then grows with the bundle)",
    )
    parser.add_argument("--as-of", help="instant for time-dependent flags (default: the bundle's)")
    parser.add_argument(
        "--workers",
        type=_workers,
        default=None,
        help="processes that check the entries (default: one per CPU on more than 2 CPUs, "
        "else 1: all in this process)",
    )
    remote = parser.add_argument_group("fetch from a server")
    remote.add_argument("--server", help="base URL of a Jejak server")
    which = remote.add_mutually_exclusive_group()
    which.add_argument("--subject")
    which.add_argument("--complaint")
    remote.add_argument("--log", help="the agency's log (with --subject or --complaint)")
    remote.add_argument("--token", help="bearer token (inspector, ombudsman or the agency)")
    remote.add_argument("--state", help="checkpoints kept per origin (~/.jejak/checkpoints.json)")


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes >= 1")
    return value


def workers_of(args: argparse.Namespace) -> int:
    """`--workers`, or one per CPU this process may use when it may use more than 2: on 2 CPUs
    the pool measured slower than one process (docs/performance.md, "Verifying a bundle")."""
    chosen: int | None = getattr(args, "workers", None)
    if chosen is not None:
        return chosen
    cpus = usable_cpus()
    return cpus if cpus > 2 else 1


def _print(outcome: Outcome, args: argparse.Namespace) -> int:
    lang = lang_of(args.lang)
    try:
        text = render_json(outcome, lang) if args.json else render_text(outcome, lang)
    finally:
        outcome.replay.close()
    print(text, end="\n" if args.json else "")
    return outcome.exit_code


def _verify_file(args: argparse.Namespace) -> int:
    """Verify the named file by its line layout (or read whole with `--whole`)."""
    if not args.bundle or not args.log_key:
        raise UnusableInputError("give BUNDLE and --log-key (or --server)")
    log_key = log_key_text(args.log_key)
    key_name(log_key)
    trusted = [trusted_text(path) for path in args.trusted_checkpoint or ()]
    as_of = as_of_option(args.as_of)
    with open_bundle(args.bundle) as stream:
        if is_legacy(stream.read(PEEK)):  # its format on line 1, or on line 2 pretty-printed
            raise BundleFormatError(NO_LONGER_READ)
        stream.seek(0)
        every = bool(args.timeline)
        if args.whole:
            outcome = verify_whole(
                stream.read(), log_key, trusted, as_of=as_of, every_subject=every
            )
        else:
            phases = TerminalPhases(sys.stderr, lang_of(args.lang))
            outcome = verify_stream(
                stream,
                log_key,
                trusted,
                as_of=as_of,
                phases=phases,
                every_subject=every,
                workers=workers_of(args),
            )
    return _print(outcome, args)


def fail(message: str) -> int:
    """Print one line on stderr, every control character escaped; the unusable-input status."""
    line = printable(message)
    if len(line) > MAX_LINE:  # a bundle may quote a megabyte of its own text back
        line = line[: MAX_LINE - 1] + "…"
    print(f"verify: {line}", file=sys.stderr)
    return EXIT_UNUSABLE


def run(args: argparse.Namespace) -> int:
    """Run `verify`; print the report (`--lang`: id, the default, or en; `--json`); return the
    exit status: 0 verified and complete, 1 failed, 2 unusable
    input (a jejak-bundle/1 among it: no longer read), 3 verified but partial (something could
    not be established).

    Nothing the input holds ends in a traceback: unusable input is one line and status 2, and
    so is an error the verifier did not foresee (nothing was verified; status 1 would claim a
    failed check).
    """
    try:
        if args.server:
            from verification.remote import verify_remote

            return _print(verify_remote(args), args)
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
