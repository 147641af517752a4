"""Settings read once from JEJAK_* environment variables into a frozen object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ledger.errors import ConfigurationError

DEFAULT_ORIGIN = "jejak.localhost/log"


@dataclass(frozen=True)
class Settings:
    """Where the log lives and which keys it signs with."""

    data_dir: Path
    database_url: str
    origin: str
    log_key: str | None
    log_key_file: Path
    placement_file: Path | None = None

    @property
    def operator_key_file(self) -> Path:
        return self.data_dir / "operator.key"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("JEJAK_DATA_DIR", "./var"))
        database_url = env.get("JEJAK_DATABASE_URL") or f"sqlite:///{data_dir / 'jejak.db'}"
        origin = env.get("JEJAK_ORIGIN", DEFAULT_ORIGIN)
        if not origin or any(c.isspace() for c in origin) or "+" in origin:
            raise ConfigurationError(
                f"JEJAK_ORIGIN {origin!r} must be non-empty, without spaces or '+'"
            )
        log_key_file = Path(env.get("JEJAK_LOG_KEY_FILE") or data_dir / "log.key")
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            origin=origin,
            log_key=env.get("JEJAK_LOG_KEY") or None,
            log_key_file=log_key_file,
            placement_file=Path(env["JEJAK_PLACEMENT"]) if env.get("JEJAK_PLACEMENT") else None,
        )
