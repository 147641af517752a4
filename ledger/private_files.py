"""Files only their owner may read: directories the ledger creates are 0700, files 0600."""

from __future__ import annotations

import os
from pathlib import Path

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> None:
    """Create `path` (and missing parents) mode 0700; an existing directory is left as is."""
    missing = []
    for candidate in (path, *path.parents):
        if candidate.exists():
            break
        missing.append(candidate)
    for directory in reversed(missing):
        directory.mkdir(mode=DIRECTORY_MODE, exist_ok=True)
        os.chmod(directory, DIRECTORY_MODE)  # mkdir's mode is narrowed by the umask only


def private_file(path: Path) -> None:
    """Create an empty `path` mode 0600 unless it exists (SQLite then opens it, and creates
    its -wal and -shm files with the same mode)."""
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)
