"""Servers starting at the same instant on a fresh database all start, with one genesis."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

from ledger.bootstrap import Runtime, open_runtime
from ledger.keyfiles import load_or_create_log_key, load_or_create_operator_key
from ledger.settings import Settings
from ledger.store import drop_postgres_schema
from projections.store import open_read_recorder

ROUNDS = 10
SERVERS = 2


def _start_together(settings: Settings) -> list[BaseException]:
    """Run the full start-up of `SERVERS` servers (store, keys, genesis, read-model tables)
    released by one barrier; return what any of them raised."""
    barrier = threading.Barrier(SERVERS)
    errors: list[BaseException] = []
    opened: list[Runtime] = []
    lock = threading.Lock()

    def start() -> None:
        barrier.wait()
        try:
            runtime = open_runtime(settings)
            reads = open_read_recorder(settings.database_url)
            reads.datastore.close()
            with lock:
                opened.append(runtime)
        except BaseException as error:  # reported by the test, with the round
            with lock:
                errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(SERVERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for runtime in opened:
        assert runtime.registry.store.recorder.log_size() == 1  # one genesis entry, not two
        runtime.close()
    return errors


def _settings(url: str, data: Path) -> Settings:
    settings = Settings.from_env({"JEJAK_DATA_DIR": str(data), "JEJAK_DATABASE_URL": url})
    # the keys exist already (as when servers share a provisioned data directory)
    load_or_create_log_key(settings.log_key_file, settings.origin, None)
    load_or_create_operator_key(settings.operator_key_file)
    return settings


def test_servers_starting_at_once_on_fresh_postgres_all_start(
    postgres_server: str, tmp_path: Path
) -> None:
    failures = []
    for round_ in range(ROUNDS):
        url = f"{postgres_server}?schema=t_start_{uuid.uuid4().hex[:10]}"
        try:
            errors = _start_together(_settings(url, tmp_path / f"data{round_}"))
        finally:
            drop_postgres_schema(url)
        failures += [f"round {round_}: {type(e).__name__}: {e}" for e in errors]
    assert failures == []


def test_servers_starting_at_once_on_fresh_sqlite_all_start(tmp_path: Path) -> None:
    failures = []
    for round_ in range(ROUNDS):
        data = tmp_path / f"data{round_}"
        errors = _start_together(_settings(f"sqlite:///{data}/jejak.db", data))
        failures += [f"round {round_}: {type(e).__name__}: {e}" for e in errors]
    assert failures == []
