"""Each log's read models live in the database that holds the log: its SQLite file, or the
PostgreSQL server the placement names."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg

from ledger.bootstrap import Runtime, open_runtime
from ledger.placement import sqlite_log_url
from ledger.settings import Settings
from ledger.store import store_environment
from projections.runner import runner_from_settings
from tests.projections.helpers import runner_for
from tests.projections.test_failures import _other_agency_request, _request
from tests.support import AGENCY, OTHER_AGENCY, World


def _agencies_in_sqlite(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "jp_requests" not in tables:
            return set()
        return {r[0] for r in conn.execute("SELECT DISTINCT agency FROM jp_requests")}


def _agencies_in_postgres(url: str) -> set[str]:
    env = store_environment(url)
    server = url.split("?", 1)[0]
    with psycopg.connect(server, connect_timeout=5) as conn:
        found = conn.execute(
            f'SELECT DISTINCT agency FROM "{env["POSTGRES_SCHEMA"]}".jp_requests'
        ).fetchall()
    return {str(r[0]) for r in found}


def test_on_sqlite_each_agencys_read_models_are_in_its_own_log_file(
    sqlite_url: str, tmp_path: Path
) -> None:
    settings = Settings.from_env(
        {"JEJAK_DATA_DIR": str(tmp_path / "data"), "JEJAK_DATABASE_URL": sqlite_url}
    )
    runtime = open_runtime(settings)
    try:
        world = World(runtime).setup()
        _request(world, "req-own")
        _other_agency_request(world, "req-other")
        runner = runner_for(runtime)
        runner.catch_up()
        runner.close()
    finally:
        runtime.close()
    main = Path(store_environment(sqlite_url)["SQLITE_DBNAME"])

    def file(log: str) -> Path:
        return Path(store_environment(sqlite_log_url(sqlite_url, log))["SQLITE_DBNAME"])

    assert file(AGENCY).parent == main.parent / f"{main.stem}.logs"
    assert _agencies_in_sqlite(file(AGENCY)) == {AGENCY}
    assert _agencies_in_sqlite(file(OTHER_AGENCY)) == {OTHER_AGENCY}
    assert _agencies_in_sqlite(main) == set()  # the registry's file holds no read model


def test_with_logs_on_two_servers_each_agencys_read_models_are_on_its_server(
    split_runtime: Runtime, split_env: dict[str, str]
) -> None:
    world = World(split_runtime).setup()
    _request(world, "req-own")  # AGENCY's log is on the second server
    _other_agency_request(world, "req-other")  # OTHER_AGENCY's on the first
    runner = runner_from_settings(Settings.from_env(split_env))  # as a worker opens it
    try:
        runner.catch_up()
        assert runner.applied(AGENCY) == split_runtime.logs.log(AGENCY).size
        assert runner.applied(OTHER_AGENCY) == split_runtime.logs.log(OTHER_AGENCY).size
        second = split_runtime.logs.stores.url_of(AGENCY)
        first = split_runtime.logs.stores.url_of(OTHER_AGENCY)
    finally:
        runner.close()
    assert second != first
    assert _agencies_in_postgres(second) == {AGENCY}
    assert _agencies_in_postgres(first) == {OTHER_AGENCY}
