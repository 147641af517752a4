"""What the inspector hands `verify`: files, the log key, options; read, or refused as unusable."""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from verification.bundle import Bundle
from verification.failures import UnusableInputError
from verification.leaf import parse_instant
from verification.progress import TerminalPhases
from verification.verifier import Verification, verify_bundle


def read_file(path: str, what: str) -> bytes:
    """The bytes of the file the inspector named, or unusable input saying why not."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise UnusableInputError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise UnusableInputError(f"{what} {path} is a directory, not a file") from None
    except (OSError, ValueError) as error:  # ValueError: a NUL in the path
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise UnusableInputError(f"cannot read {what} {path}: {reason}") from None


def _text(data: bytes, path: str, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UnusableInputError(f"{what} {path} is not UTF-8 text") from None


def log_key_text(value: str) -> str:
    """`--log-key`: a file holding the verifier key, or the key itself (`name+hash+key`)."""
    try:
        exists = Path(value).exists()
    except (OSError, ValueError):  # a name too long for a path, or a NUL: not a file
        exists = False
    if exists:
        return _text(read_file(value, "log key file"), value, "log key file").strip()
    if "+" not in value:  # a key always holds '+'; anything else was meant as a file
        raise UnusableInputError(f"no such file: {value}")
    return value.strip()


def trusted_text(path: str) -> str:
    """`--trusted-checkpoint`: the signed checkpoint note kept from an earlier visit."""
    return _text(read_file(path, "trusted checkpoint"), path, "trusted checkpoint")


PEEK = 64 * 1024
"""Bytes read from a bundle's start to tell its format."""


@contextlib.contextmanager
def open_bundle(path: str) -> Iterator[BinaryIO]:
    """The bundle file, opened for reading (twice over: it is seekable); '-' spools stdin to a
    temporary file first, chunk by chunk, so a bundle is never held whole in memory."""
    if path == "-":
        with tempfile.TemporaryFile() as spool:
            shutil.copyfileobj(sys.stdin.buffer, spool, 1 << 20)
            spool.seek(0)
            yield spool
        return
    try:
        stream = Path(path).open("rb")  # noqa: SIM115 (closed below, after the errors are named)
    except FileNotFoundError:
        raise UnusableInputError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise UnusableInputError(f"bundle {path} is a directory, not a file") from None
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise UnusableInputError(f"cannot read bundle {path}: {reason}") from None
    with stream:
        yield stream


def as_of_option(text: str | None) -> datetime | None:
    """`--as-of`, parsed (unusable input if it is no instant of the ledger's years)."""
    return _as_of(text)


def _as_of(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_instant(text)
    except ValueError as error:
        raise UnusableInputError(f"--as-of: {error}") from None


def check(
    bundle: Bundle, log_key: str, trusted: str | None, args: argparse.Namespace
) -> Verification:
    return verify_bundle(
        bundle,
        log_key,
        trusted,
        workers=max(1, args.workers),
        phases=TerminalPhases(sys.stderr),
        as_of=_as_of(args.as_of),
    )
