"""Private key files: created once with mode 0600, refused when others can read them."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from ledger.errors import ConfigurationError
from ledger.private_files import FILE_MODE, private_dir
from verification.note import generate_key


def write_secret(path: Path, text: str) -> None:
    """Create `path` with mode 0600 and write `text`; never overwrite an existing key."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "w") as handle:
        handle.write(text + "\n")


def read_secret(path: Path) -> str:
    """Read a key file, refusing one that group or others may read."""
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(
            f"{path} is readable by others (mode {oct(mode & 0o777)}); chmod 600 it"
        )
    return path.read_text().strip()


def _missing(path: Path, entries: int) -> ConfigurationError:
    return ConfigurationError(
        f"no such file: {path} (the log already holds {entries} entries, signed by the key"
        " that file held: restore it, a new key would not match)"
    )


def load_or_create_operator_key(path: Path, entries: int = 0) -> Ed25519PrivateKey:
    """The operator's Ed25519 key (base64 of the 32-byte seed), created for a new log only."""
    if not path.exists():
        if entries:
            raise _missing(path, entries)
        seed = Ed25519PrivateKey.generate().private_bytes(
            Encoding.Raw, PrivateFormat.Raw, NoEncryption()
        )
        write_secret(path, base64.b64encode(seed).decode())
    try:
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(read_secret(path)))
    except ValueError as error:
        raise ConfigurationError(f"{path} does not hold a base64 Ed25519 seed: {error}") from error


def load_or_create_log_key(path: Path, origin: str, given: str | None, entries: int = 0) -> str:
    """The log's note private key: given, read from `path`, or created there for a new log."""
    if given:
        return given
    if not path.exists():
        if entries:
            raise _missing(path, entries)
        private, _ = generate_key(origin)
        write_secret(path, private)
    return read_secret(path)
