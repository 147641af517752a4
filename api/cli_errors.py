"""One line and an exit status for every way a `jejak` command can fail, never a traceback."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Callable

from domain.errors import DomainError
from ledger.errors import LedgerError
from verification.errors import VerificationError, unexpected
from verification.printable import printable

EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130
MAX_LINE = 2000


class CommandError(Exception):
    """A command cannot go on; `status` is its exit status."""

    status = EXIT_FAILED


class UsageError(CommandError):
    """Unusable command-line input (a bad time, an unwritable output path): exit status 2."""

    status = EXIT_USAGE


def _os_error(error: OSError) -> str:
    reason = error.strerror or str(error)
    if error.filename is None:
        return reason
    if error.filename2 is not None:
        return f"{error.filename} -> {error.filename2}: {reason}"
    return f"{error.filename}: {reason}"


def _database_error(error: Exception) -> str | None:
    """The store's own exceptions, which the ledger lets through when the database fails."""
    if isinstance(error, sqlite3.Error):
        return f"the SQLite database: {error}"
    psycopg = sys.modules.get("psycopg")  # not imported: then the error is not one of its
    if psycopg is not None and isinstance(error, psycopg.Error):
        first = str(error).strip().split("\n", 1)[0]
        return f"the PostgreSQL database: {first}"
    return None


def describe(error: Exception | KeyboardInterrupt) -> tuple[str, int]:
    """The one line (without the `jejak: ` prefix) and the exit status for `error`."""
    if isinstance(error, KeyboardInterrupt):
        return "interrupted", EXIT_INTERRUPTED
    if isinstance(error, CommandError):
        return str(error), error.status
    if isinstance(error, LedgerError | DomainError | VerificationError):
        rule = getattr(error, "rule", None)
        return (str(error) if rule is None else f"{rule}: {error}"), EXIT_FAILED
    if isinstance(error, OSError):
        return _os_error(error), EXIT_FAILED
    database = _database_error(error)
    if database is not None:
        return database, EXIT_FAILED
    if isinstance(error, ValueError):
        return f"error: {error}", EXIT_FAILED
    return f"internal error (a bug; please report it): {unexpected(error)}", EXIT_FAILED


def fail(message: str, status: int) -> int:
    """Print `jejak: message` as one line on stderr, control characters escaped."""
    line = printable(message)
    if len(line) > MAX_LINE:
        line = line[: MAX_LINE - 1] + "…"
    print(f"jejak: {line}", file=sys.stderr)
    return status


def run_command(command: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run one command; whatever it raises ends as one line on stderr and a non-zero status."""
    try:
        return command(args)
    except (Exception, KeyboardInterrupt) as error:
        return fail(*describe(error))
