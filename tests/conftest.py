"""Shared fixtures: a database URL per backend (SQLite file, real PostgreSQL schema)."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from ledger.bootstrap import Runtime, open_runtime
from ledger.settings import Settings
from ledger.store import drop_postgres_schema
from tests.support import AGENCY, World

POSTGRES_URL = os.environ.get(
    "JEJAK_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _postgres_problem() -> str | None:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        return f"PostgreSQL at {POSTGRES_URL} is unreachable: {error}"
    return None


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The PostgreSQL URL; in CI an unreachable server fails the run instead of skipping."""
    problem = _postgres_problem()
    if problem is not None:
        if IN_CI:
            pytest.fail(problem, pytrace=False)
        pytest.skip(problem)
    return POSTGRES_URL


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh PostgreSQL schema for one test, dropped afterwards."""
    url = f"{postgres_server}?schema=t_{uuid.uuid4().hex[:12]}"
    yield url
    drop_postgres_schema(url)


@pytest.fixture
def sqlite_url(tmp_path: object) -> str:
    return f"sqlite:///{tmp_path}/jejak.db"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each storage test runs once on SQLite and once on the real PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def runtime(database_url: str, tmp_path: Path) -> Iterator[Runtime]:
    """A ledger runtime on each store, its data directory in the test's tmp_path."""
    settings = Settings.from_env(
        {"JEJAK_DATA_DIR": str(tmp_path / "data"), "JEJAK_DATABASE_URL": database_url}
    )
    opened = open_runtime(settings)
    yield opened
    opened.close()


@pytest.fixture
def world(runtime: Runtime) -> World:
    """The test agency, its Ombudsman and tokens for each role, on that runtime."""
    return World(runtime).setup()


@pytest.fixture(scope="session")
def second_postgres_server() -> Iterator[str]:
    """A second PostgreSQL cluster (tests/pg_cluster.py) for the session: its URL. In CI a
    failure to start it fails the run instead of skipping."""
    from tests.pg_cluster import Cluster, ClusterError

    cluster = Cluster()
    try:
        cluster.start()
    except ClusterError as error:
        if IN_CI:
            pytest.fail(f"the second PostgreSQL cluster did not start: {error}", pytrace=False)
        pytest.skip(f"the second PostgreSQL cluster did not start: {error}")
    try:
        yield cluster.url
    finally:
        cluster.stop()


@pytest.fixture
def split_env(
    postgres_server: str, second_postgres_server: str, tmp_path: Path
) -> Iterator[dict[str, str]]:
    """Settings of a ledger whose logs are split over two PostgreSQL servers: the registry log
    and OTHER_AGENCY's on the first, AGENCY's on the second (JEJAK_PLACEMENT)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    first = f"{postgres_server}?schema={schema}"
    second = f"{second_postgres_server}?schema={schema}"
    placement = tmp_path / "placement.json"
    placement.write_text(
        json.dumps({"servers": {"pg1": first, "pg2": second}, "logs": {AGENCY: "pg2"}}),
        encoding="utf-8",
    )
    yield {
        "JEJAK_DATA_DIR": str(tmp_path / "data"),
        "JEJAK_DATABASE_URL": first,
        "JEJAK_PLACEMENT": str(placement),
    }
    drop_postgres_schema(first)
    drop_postgres_schema(second)


@pytest.fixture
def split_runtime(split_env: dict[str, str]) -> Iterator[Runtime]:
    """A ledger runtime with its logs on two PostgreSQL servers."""
    opened = open_runtime(Settings.from_env(split_env))
    yield opened
    opened.close()
