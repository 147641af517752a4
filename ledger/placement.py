"""Where each log lives: the placement of logs on database servers, and the stores opened for them.

Without `JEJAK_PLACEMENT` every log is in `JEJAK_DATABASE_URL`. On SQLite the registry log and
the tokens are in that file and each agency log in a file of its own beside it
(`<main file's name>.logs/log-<log>.db`), so that logs commit in parallel. On PostgreSQL the
logs of one server share its tables (a `log` column) and each log has its own writer lock.

`JEJAK_PLACEMENT` names a JSON or TOML file:

    {"servers": {"pg1": "postgresql://…:5432/jejak", "pg2": "postgresql://…:5433/jejak"},
     "logs": {"kab-bengkulu-utara": "pg2"}, "default": "pg1"}

The servers are listed in order; the registry log lives on the first. A log the file does not
name goes to `default` (the first server when there is none). A log never spans servers.
"""

from __future__ import annotations

import json
import re
import threading
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from ledger.errors import ConfigurationError
from ledger.store import EventStore, LogStore, open_store, store_environment

REGISTRY_LOG = "operator"
"""The registry log's id: the operator's organisations, keys, revocations and redactions."""


@dataclass(frozen=True)
class Placement:
    """Which server holds which log."""

    servers: Mapping[str, str]
    logs: Mapping[str, str] = field(default_factory=dict)
    default: str | None = None

    @classmethod
    def single(cls, database_url: str) -> Placement:
        return cls({"main": database_url})

    @classmethod
    def load(cls, path: Path) -> Placement:
        """Read a placement file (JSON, or TOML when it ends in .toml); one-line errors."""
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigurationError(f"JEJAK_PLACEMENT {path}: {error.strerror}") from None
        try:
            raw = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
        except (ValueError, tomllib.TOMLDecodeError) as error:
            raise ConfigurationError(f"JEJAK_PLACEMENT {path} is not valid: {error}") from None
        return cls.parse(raw, str(path))

    @classmethod
    def parse(cls, raw: object, where: str = "JEJAK_PLACEMENT") -> Placement:
        if not isinstance(raw, dict):
            raise ConfigurationError(f"{where} must be an object with 'servers'")
        servers, logs, default = raw.get("servers"), raw.get("logs", {}), raw.get("default")
        if not isinstance(servers, dict) or not servers:
            raise ConfigurationError(f"{where}: 'servers' must name at least one database URL")
        if not all(isinstance(v, str) and v.startswith("postgres") for v in servers.values()):
            raise ConfigurationError(f"{where}: every server must be a postgresql:// URL")
        if not isinstance(logs, dict) or not all(
            isinstance(v, str) and v in servers for v in logs.values()
        ):
            raise ConfigurationError(f"{where}: 'logs' must map log ids to server names")
        if default is not None and default not in servers:
            raise ConfigurationError(f"{where}: 'default' {default!r} is not a server")
        if logs.get(REGISTRY_LOG, next(iter(servers))) != next(iter(servers)):
            raise ConfigurationError(f"{where}: the registry log lives on the first server")
        return cls(dict(servers), dict(logs), default)

    @property
    def first(self) -> str:
        return next(iter(self.servers.values()))

    def server_url(self, log: str) -> str:
        """The database URL of the server that holds `log`."""
        if log == REGISTRY_LOG:
            return self.first
        name = self.logs.get(log, self.default)
        return self.servers[name] if name is not None else self.first


def log_file_name(log: str) -> str:
    """A file name for a log id (ids are `[A-Za-z0-9._:/-]`): other characters %-encoded."""
    return "log-" + re.sub(r"[^A-Za-z0-9._-]", lambda m: f"%{ord(m[0]):02X}", log) + ".db"


def sqlite_log_url(main_url: str, log: str) -> str:
    """The SQLite file of an agency log, in a directory beside the main file named after it
    (`var/jejak.db` → `var/jejak.logs/`): two ledgers in one directory never share a log."""
    path = unquote(urlparse(main_url).path)
    path = path[1:] if path.startswith("//") else path.lstrip("/")
    main = Path(path)
    beside = main.parent / f"{main.stem}.logs" / log_file_name(log)
    return f"sqlite:///{beside}"  # an absolute path gives sqlite:////…, as SQLAlchemy spells it


class Stores:
    """The opened stores of every log this process touches, opened on first use.

    One `EventStore` per PostgreSQL server (its logs share the tables and the connection pool);
    on SQLite one per file. The registry's store also holds the tokens."""

    def __init__(self, database_url: str, placement: Placement | None = None) -> None:
        self.database_url = database_url
        self.placement = placement or Placement.single(database_url)
        self.sqlite = urlparse(self.placement.first).scheme == "sqlite"
        self._opened: dict[str, EventStore] = {}
        self._lock = threading.Lock()
        self.registry_store = self._store(self.placement.first)

    def url_of(self, log: str) -> str:
        """The URL of the store holding `log`."""
        if self.sqlite and log != REGISTRY_LOG:
            return sqlite_log_url(self.placement.first, log)
        return self.placement.server_url(log)

    def _store(self, url: str) -> EventStore:
        with self._lock:
            store = self._opened.get(url)
            if store is None:
                if self.sqlite:
                    file = Path(store_environment(url)["SQLITE_DBNAME"])
                    file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                store = self._opened[url] = open_store(url)
            return store

    def log(self, log: str) -> LogStore:
        """The store of one log, opened if this is its first use in this process."""
        return self._store(self.url_of(log)).log(log)

    def opened(self) -> list[EventStore]:
        with self._lock:
            return list(self._opened.values())

    def close(self) -> None:
        for store in self.opened():
            store.close()
        with self._lock:
            self._opened.clear()
