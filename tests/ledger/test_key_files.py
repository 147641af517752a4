"""Keys are created with a new log only: an existing log's missing key is an error: no new key."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.bootstrap import open_runtime
from ledger.errors import ConfigurationError
from ledger.settings import Settings


def test_an_existing_log_refuses_to_start_on_a_missing_log_key_file(
    database_url: str, tmp_path: Path
) -> None:
    env = {"JEJAK_DATA_DIR": str(tmp_path / "data"), "JEJAK_DATABASE_URL": database_url}
    open_runtime(Settings.from_env(env)).close()
    missing = tmp_path / "elsewhere.key"

    with pytest.raises(ConfigurationError, match=f"no such file: {missing}"):
        open_runtime(Settings.from_env({**env, "JEJAK_LOG_KEY_FILE": str(missing)}))
    assert not missing.exists()
    open_runtime(Settings.from_env(env)).close()  # the right file still opens it


def test_an_existing_log_refuses_to_start_without_its_operator_key(
    database_url: str, tmp_path: Path
) -> None:
    settings = Settings.from_env(
        {"JEJAK_DATA_DIR": str(tmp_path / "data"), "JEJAK_DATABASE_URL": database_url}
    )
    open_runtime(settings).close()
    settings.operator_key_file.unlink()

    with pytest.raises(ConfigurationError, match=r"no such file: .*operator\.key"):
        open_runtime(settings)
    assert not settings.operator_key_file.exists()
