"""The data directory is created 0700 and every file the ledger writes in it 0600."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.bootstrap import open_runtime
from ledger.settings import Settings
from tests.support import World


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The common default umask 022, under which files are created 0644 unless asked."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_directory_is_0700_and_its_files_0600(tmp_path: Path, usual_umask: None) -> None:
    data = tmp_path / "srv" / "jejak"
    runtime = open_runtime(Settings.from_env({"JEJAK_DATA_DIR": str(data)}))
    try:
        World(runtime).setup()  # writes entries and tokens: the WAL exists now
        assert _mode(data) == 0o700
        assert _mode(data.parent) == 0o700  # created by the ledger too
        files = sorted(p for p in data.iterdir() if p.is_file())
        assert {p.name for p in files} >= {"jejak.db", "log.key", "operator.key"}
        assert {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}
    finally:
        runtime.close()


def test_an_existing_directory_keeps_its_mode(tmp_path: Path, usual_umask: None) -> None:
    data = tmp_path / "shared"
    data.mkdir(mode=0o750)
    os.chmod(data, 0o750)
    runtime = open_runtime(Settings.from_env({"JEJAK_DATA_DIR": str(data)}))
    runtime.close()
    assert _mode(data) == 0o750
    assert _mode(data / "jejak.db") == 0o600
